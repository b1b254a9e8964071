"""The Debian mirror the base is made from: the one this host's apt already uses."""
from studio_containers.build.debian_base import apt_mirror


def test_apt_mirror_reads_deb822_and_one_line_sources(tmp_path):
    (tmp_path / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\n\nTypes: deb\nURIs: http://mirror.example/debian/\n")
    assert apt_mirror((tmp_path,)) == "http://mirror.example/debian"
    one_line = tmp_path / "sources.list"
    one_line.write_text("deb [arch=amd64] http://other.example/debian bookworm main\n")
    assert apt_mirror((one_line,)) == "http://other.example/debian"
    assert apt_mirror((tmp_path / "none",)) == "http://deb.debian.org/debian"
