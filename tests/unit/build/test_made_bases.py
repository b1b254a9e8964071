"""The bases written here, not built: the same inputs give the same bytes (so the same image id
on every engine), the CA layer keeps the base's folders as they are, and the Debian base
carries the official image's facts."""
import io
import json
import tarfile

from studio_containers.build.debian_base import OFFICIAL_PATH, base_config, python_version
from studio_containers.build.image_archive import Entry, image_id, layer_bytes, write_archive
from studio_containers.build.trusted_base import CA_DIR, ENV, SYSTEM_BUNDLE, _entries, _trusting


def tar_of(members: list[tuple[str, bytes | None, dict]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data, attrs in members:
            info = tarfile.TarInfo(name)
            for key, value in attrs.items():
                setattr(info, key, value)
            if data is None and info.type == tarfile.REGTYPE:
                info.type = tarfile.DIRTYPE
            info.size = len(data or b"")
            tar.addfile(info, io.BytesIO(data or b""))
    return out.getvalue()


def test_a_layer_is_the_same_bytes_whatever_the_order_and_time_of_writing():
    entries = [Entry("/etc/b", b"2"), Entry("/etc/", None, 0o755), Entry("/etc/a", b"1", 0o600, 1000, 100)]
    assert layer_bytes(entries, 1700000000) == layer_bytes(list(reversed(entries)), 1700000000)
    with tarfile.open(fileobj=io.BytesIO(layer_bytes(entries, 1700000000))) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["etc", "etc/a", "etc/b"]
    assert (members[1].mode, members[1].uid, members[1].gid, members[1].mtime) == (0o600, 1000, 100, 1700000000)


def test_an_archive_names_the_config_by_its_digest(tmp_path):
    layer = tmp_path / "layer.tar"
    layer.write_bytes(layer_bytes([Entry("/x", b"x")], 0))
    config = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:0"]}}
    write_archive(tmp_path / "a.tar", "repo/x:1", config, [layer])
    with tarfile.open(tmp_path / "a.tar") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        assert manifest == [{"Config": image_id(config)[7:] + ".json", "RepoTags": ["repo/x:1"],
                             "Layers": ["layer-0.tar"]}]
        assert tar.extractfile(manifest[0]["Config"]).read() == json.dumps(
            config, sort_keys=True, separators=(",", ":")).encode()


def test_the_ca_layer_appends_to_the_bundle_and_keeps_the_bases_folders(tmp_path):
    lower = tmp_path / "lower.tar"
    lower.write_bytes(tar_of([
        ("etc", None, {"mode": 0o755}), ("etc/ssl", None, {"mode": 0o755}),
        ("etc/ssl/certs", None, {"mode": 0o755}),
        ("etc/ssl/certs/ca-certificates.crt", b"OLD CA", {"mode": 0o644}),
        ("usr", None, {"mode": 0o755}), ("usr/local", None, {"mode": 0o755}),
        ("usr/local/share", None, {"mode": 0o2775, "gid": 50}),
        ("usr/local/share/ca-certificates", None, {"mode": 0o755}),
    ]))
    upper = tmp_path / "upper.tar"       # a later layer replaced the bundle with a newer one
    upper.write_bytes(tar_of([("./etc/ssl/certs/ca-certificates.crt", b"NEW CA\n", {"mode": 0o444})]))
    cert = tmp_path / "corp.crt"
    cert.write_bytes(b"-----BEGIN CERTIFICATE-----\nCORP\n-----END CERTIFICATE-----")
    entries = {e.path: e for e in _entries([lower, upper], [cert])}
    bundle = entries[SYSTEM_BUNDLE]
    assert bundle.data == b"NEW CA\n-----BEGIN CERTIFICATE-----\nCORP\n-----END CERTIFICATE-----\n"
    assert bundle.mode == 0o444
    assert entries[f"{CA_DIR}/extra-0-corp.crt"].data == cert.read_bytes()
    assert (entries["/usr/local/share"].mode, entries["/usr/local/share"].gid) == (0o2775, 50)
    assert entries[CA_DIR].data is None and entries[CA_DIR].mode == 0o755     # new: made here
    assert {"/etc", "/etc/ssl", "/etc/ssl/certs", "/usr"} <= set(entries)


def test_a_whiteout_hides_the_bases_bundle(tmp_path):
    lower = tmp_path / "lower.tar"
    lower.write_bytes(tar_of([("etc/ssl/certs/ca-certificates.crt", b"OLD", {})]))
    upper = tmp_path / "upper.tar"
    upper.write_bytes(tar_of([("etc/ssl/certs/.wh.ca-certificates.crt", b"", {})]))
    cert = tmp_path / "c.crt"
    cert.write_bytes(b"PEM\n")
    assert {e.path: e for e in _entries([lower, upper], [cert])}[SYSTEM_BUNDLE].data == b"PEM\n"


def test_the_trusting_config_adds_the_layer_env_and_history_once(tmp_path):
    layer = tmp_path / "l.tar"
    layer.write_bytes(b"layer")
    base = {"created": "2026-01-01T00:00:00Z", "config": {"Env": ["PATH=/bin", "PIP_CERT=/old"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:a"]}, "history": [{}],
            "moby.buildkit.cache.v0": "x"}
    config = _trusting(base, layer)
    assert config["config"]["Env"] == ["PATH=/bin"] + [f"{k}={v}" for k, v in ENV.items()]
    assert len(config["rootfs"]["diff_ids"]) == 2 and len(config["history"]) == 2
    assert "moby.buildkit.cache.v0" not in config
    assert image_id(_trusting(base, layer)) == image_id(config)


def test_the_debian_base_config_is_the_official_images(tmp_path):
    facts = {"diff_id": "sha256:abc", "python_version": "3.11.2", "architecture": "amd64",
             "created": "2026-12-05T08:00:00Z"}
    config = base_config(facts)
    assert config["config"] == {"Env": [f"PATH={OFFICIAL_PATH}", "LANG=C.UTF-8",
                                        "PYTHON_VERSION=3.11.2"], "Cmd": ["python3"]}
    assert image_id(base_config(dict(facts))) == image_id(config)
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/status").write_text(
        "Package: python3.11-minimal\nVersion: 9.9.9-1\n\nPackage: python3.11\nStatus: install ok\n"
        "Version: 3.11.2-6+deb12u6\n")
    assert python_version(tmp_path) == "3.11.2"


def test_links_and_opaque_folders_of_the_base(tmp_path):
    cert = tmp_path / "c.crt"
    cert.write_bytes(b"PEM\n")
    # The bundle a hard link to another file of the layer: read as that file.
    hard = tmp_path / "hard.tar"
    hard.write_bytes(tar_of([("etc/ssl/certs/real.crt", b"PUBLIC\n", {}),
                             ("etc/ssl/certs/ca-certificates.crt", None,
                              {"type": tarfile.LNKTYPE, "linkname": "etc/ssl/certs/real.crt"})]))
    assert {e.path: e for e in _entries([hard], [cert])}[SYSTEM_BUNDLE].data == b"PUBLIC\nPEM\n"
    # /etc/ssl/certs a symlink to another folder: the bundle is written where it points.
    linked = tmp_path / "linked.tar"
    linked.write_bytes(tar_of([("etc/pki/tls/certs", None, {"mode": 0o755}),
                               ("etc/pki/tls/certs/ca-certificates.crt", b"PKI\n", {}),
                               ("etc/ssl/certs", None, {"type": tarfile.SYMTYPE,
                                                        "linkname": "../pki/tls/certs"})]))
    entries = {e.path: e for e in _entries([linked], [cert])}
    assert entries["/etc/pki/tls/certs/ca-certificates.crt"].data == b"PKI\nPEM\n"
    assert SYSTEM_BUNDLE not in entries and "/etc/ssl/certs" not in entries
    # The bundle itself a symlink: its target gets the certificates.
    link = tmp_path / "link.tar"
    link.write_bytes(tar_of([("etc/ssl/bundle.pem", b"B\n", {}),
                             ("etc/ssl/certs/ca-certificates.crt", None,
                              {"type": tarfile.SYMTYPE, "linkname": "../bundle.pem"})]))
    entries = {e.path: e for e in _entries([link], [cert])}
    assert entries["/etc/ssl/bundle.pem"].data == b"B\nPEM\n" and SYSTEM_BUNDLE not in entries
    # A folder made opaque by a later layer hides what lower layers had under it.
    upper = tmp_path / "opaque.tar"
    upper.write_bytes(tar_of([("etc/ssl/certs/.wh..wh..opq", b"", {})]))
    lower = tmp_path / "lower.tar"
    lower.write_bytes(tar_of([("etc/ssl/certs/ca-certificates.crt", b"OLD\n", {})]))
    assert {e.path: e for e in _entries([lower, upper], [cert])}[SYSTEM_BUNDLE].data == b"PEM\n"
