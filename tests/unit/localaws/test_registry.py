"""The local ECR's registry configuration: loopback only, our login, pushes reported to us."""
import stat

import bcrypt
import yaml

from studio_containers.localaws.ecr.registry import write_config


def test_the_config_and_login_are_private_and_point_at_the_local_aws(tmp_path):
    folder = tmp_path / "registry"
    path = write_config(folder, 5001, 5000, "s3cret", "event-token")
    htpasswd = folder / "htpasswd"
    for written in (path, htpasswd):
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
    user, _, hashed = htpasswd.read_text().strip().partition(":")
    assert user == "AWS" and bcrypt.checkpw(b"s3cret", hashed.encode())
    config = yaml.safe_load(path.read_text())
    assert config["http"]["addr"] == "127.0.0.1:5001"
    assert config["auth"]["htpasswd"]["path"] == str(htpasswd)
    assert config["storage"]["filesystem"]["rootdirectory"] == str(folder / "data")
    [endpoint] = config["notifications"]["endpoints"]
    assert endpoint["url"] == "http://127.0.0.1:5000/_studio_containers/registry-events"
    assert endpoint["headers"] == {"Authorization": ["Bearer event-token"]}
    assert config["log"]["level"] == "warn"


def test_writing_again_replaces_the_login(tmp_path):
    write_config(tmp_path, 5001, 5000, "first", "t")
    write_config(tmp_path, 5001, 5000, "second", "t")
    hashed = (tmp_path / "htpasswd").read_text().strip().partition(":")[2]
    assert bcrypt.checkpw(b"second", hashed.encode())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yml", "htpasswd"]
