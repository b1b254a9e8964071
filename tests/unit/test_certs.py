"""Extra CA certificates builds trust: auto, none, or a list of PEM files."""
import pytest

from studio_containers.certs import extra_ca_certs
from studio_containers.errors import UserError

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_extra_ca_certs_auto_none_and_list(tmp_path):
    (tmp_path / "corp.crt").write_text(PEM)
    (tmp_path / "README").write_text("not a cert")
    assert extra_ca_certs("auto", auto_dirs=(tmp_path, tmp_path / "absent")) == [tmp_path / "corp.crt"]
    assert extra_ca_certs("none") == []
    assert extra_ca_certs([str(tmp_path / "corp.crt")]) == [tmp_path / "corp.crt"]
    with pytest.raises(UserError, match="build.extra_ca_certs: .* does not exist"):
        extra_ca_certs([str(tmp_path / "missing.crt")])
    with pytest.raises(UserError, match="not a PEM certificate"):
        extra_ca_certs([str(tmp_path / "README")])
