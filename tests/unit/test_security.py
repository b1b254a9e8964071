"""The secret scans of the security checks (tests/security.py), on made-up inputs: files searched
in pieces, `docker save` archives of both layouts (Docker's layer.tar, OCI blobs with gzip layers)
from a fake client, and the secrets a build could take from the host, found in a made-up home."""
import gzip
import io
import json
import tarfile
import tracemalloc
from types import SimpleNamespace

import pytest

from tests import security
from tests.security import build_host_secrets, files_holding, image_layers_holding

SECRET = "s3cr3t-" + "x" * 33
OTHER = "0ther-" + "y" * 34


def tar_bytes(files: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        folders = sorted({name.rsplit("/", 1)[0] for name in files if "/" in name})
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return out.getvalue()


def fake_client(chunks_of, archive: bytes | None = None, chunk: int = 4096):
    """A docker client whose `images.get(name).save()` yields the archive in pieces, as the SDK's
    does (a generator of byte chunks); `chunks_of` may give the generator instead."""
    def save(chunk_size=2 * 1024 * 1024, named=False):
        if chunks_of is not None:
            return chunks_of()
        return (archive[i:i + chunk] for i in range(0, len(archive), chunk))
    images = SimpleNamespace(get=lambda name: SimpleNamespace(save=save))
    return SimpleNamespace(images=images)


def legacy_archive() -> bytes:
    """Docker's own `docker save` layout: <id>/layer.tar per layer, a config JSON, manifest.json."""
    base = tar_bytes({"etc/passwd": b"root:x:0:0:root:/root:/bin/bash\n"})
    leaky = tar_bytes({"etc/pip.conf": b"[global]\nindex-url = https://u:" + SECRET.encode() + b"@pypi/\n",
                       "opt/clean": b"nothing here"})
    config = json.dumps({"config": {"Env": [f"NPM_TOKEN={OTHER}"]}}).encode()
    manifest = json.dumps([{"Config": "cfg.json", "Layers": ["a/layer.tar", "b/layer.tar"]}]).encode()
    return tar_bytes({"a/layer.tar": base, "b/layer.tar": leaky, "cfg.json": config,
                      "manifest.json": manifest})


def oci_archive(layer_with_secret: bytes) -> bytes:
    """Docker >= 25's layout: blobs/sha256/<digest> (layers gzip-compressed by the containerd
    store), index.json, and layer.tar symlinks into the blobs for older readers."""
    clean = tar_bytes({"usr/bin/tool": b"\x7fELF" + bytes(3000)})
    return tar_bytes({"oci-layout": b'{"imageLayoutVersion": "1.0.0"}',
                      "index.json": b'{"manifests": []}',
                      "blobs/sha256/aaaa": clean,
                      "blobs/sha256/bbbb": gzip.compress(layer_with_secret),
                      "blobs/sha256/cccc": b'{"config": {"Env": ["PATH=/usr/bin"]}}',
                      "manifest.json": b'[{"Layers": ["blobs/sha256/aaaa", "blobs/sha256/bbbb"]}]'},
                     symlinks={"bbbb/layer.tar": "../blobs/sha256/bbbb"})


def test_files_holding_names_each_file_and_secret_but_the_allowed_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(security, "CHUNK", 16)      # secrets straddle the pieces files are read in
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "log").write_text("x" * 29 + SECRET + "y" * 50)
    (tmp_path / "creds.json").write_text(json.dumps({"key": SECRET, "other": OTHER}))
    (tmp_path / "clean").write_text("nothing")
    (tmp_path / "link").symlink_to(tmp_path / "sub" / "log")
    found = files_holding(tmp_path, [SECRET, OTHER, ""], allowed=set())
    assert found == [f"{tmp_path / 'creds.json'}: s3cr3t…, 0ther-…", f"{tmp_path / 'sub' / 'log'}: s3cr3t…"]
    assert files_holding(tmp_path, [SECRET], allowed={tmp_path / "creds.json"}) == [
        f"{tmp_path / 'sub' / 'log'}: s3cr3t…"]
    assert files_holding(tmp_path, ["", ""], allowed=set()) == []


def test_layers_of_dockers_own_save_layout_are_searched_file_by_file_and_configs_whole():
    client = fake_client(None, legacy_archive(), chunk=7)    # odd pieces, as a socket gives them
    assert image_layers_holding(client, "img", [SECRET, OTHER]) == [
        "img: b/layer.tar:etc/pip.conf: s3cr3t…", "img: cfg.json: 0ther-…"]
    assert image_layers_holding(client, "img", ["root:x:0:0:"]) == ["img: a/layer.tar:etc/passwd: root:x…"]
    assert image_layers_holding(client, "img", ["not-in-the-image"]) == []


def test_gzip_layers_of_the_oci_layout_are_searched_once(monkeypatch):
    monkeypatch.setattr(security, "CHUNK", 64)
    layer = tar_bytes({"root/.aws/credentials": b"[default]\naws_secret_access_key = " + b"z" * 200
                       + SECRET.encode() + b"\n"})
    client = fake_client(None, oci_archive(layer))
    assert image_layers_holding(client, "img", [SECRET]) == [
        "img: blobs/sha256/bbbb (gzip):root/.aws/credentials: s3cr3t…"]
    assert image_layers_holding(client, "img", ["PATH=/usr/bin"]) == ["img: blobs/sha256/cccc: PATH=/…"]


def test_a_layer_that_cannot_be_read_is_named_instead_of_passed():
    zstd = b"\x28\xb5\x2f\xfd" + bytes(100)
    client = fake_client(None, tar_bytes({"blobs/sha256/dddd": zstd, "index.json": b"{}"}))
    assert image_layers_holding(client, "img", [SECRET]) == [
        "img: blobs/sha256/dddd (zstd): not searched (compression Python cannot read)"]


def test_an_empty_layer_and_an_empty_secret_list_are_fine():
    client = fake_client(None, tar_bytes({"e/layer.tar": bytes(1024)}))
    assert image_layers_holding(client, "img", [SECRET]) == []
    assert image_layers_holding(client, "img", [""]) == []


def big_layer_save(size: int, secret: bytes):
    """A `docker save` of one layer holding one file of `size` bytes that ends with the secret,
    made as it is read: the test itself never holds it either."""
    inner = tarfile.TarInfo("opt/big.bin")
    inner.size = size
    inner_header = inner.tobuf(tarfile.PAX_FORMAT)
    inner_length = len(inner_header) + size + (-size % 512) + 1024
    outer = tarfile.TarInfo("big/layer.tar")
    outer.size = inner_length
    yield outer.tobuf(tarfile.PAX_FORMAT)
    yield inner_header
    block = bytes(2 * 1024 * 1024)
    left = size - len(secret)
    while left:
        piece = min(left, len(block))
        yield block if piece == len(block) else block[:piece]
        left -= piece
    yield secret
    yield bytes(-size % 512 + 1024)       # the file's padding, the layer's end
    yield bytes(-inner_length % 512 + 1024)


def test_a_large_layer_is_streamed_not_loaded():
    size = 96 * 1024 * 1024
    client = fake_client(lambda: big_layer_save(size, SECRET.encode()))
    tracemalloc.start()
    try:
        found = image_layers_holding(client, "img", [SECRET])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == ["img: big/layer.tar:opt/big.bin: s3cr3t…"]
    assert peak < 20 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB layer"


KEY_LINES = ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" + "a" * 13,
             "b" * 64, "c" * 40]


def pem_key(lines: list[str]) -> str:
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----\n"


def test_build_host_secrets_are_read_from_every_place_a_build_could_take_them(tmp_path):
    certs = tmp_path / "proxy"
    certs.mkdir()
    ca = certs / "proxy-ca.pem"         # a proxy's PEM that holds its key next to its certificate
    ca.write_text(pem_key(KEY_LINES) + "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n")
    (certs / "other.key").write_text(pem_key(["d" * 64]))
    (certs / "notes.txt").write_text(pem_key(["e" * 64]))      # not a key file: not read
    local = tmp_path / "state" / "aws" / "credentials.json"
    local.parent.mkdir(parents=True)
    local.write_text(json.dumps({"access_key_id": "AKIAEXAMPLE00000", "secret_access_key": "local-secret-1",
                                 "registry_password": "registry-pass-1", "events_token": "events-token-1"}))
    home = tmp_path / "home"
    (home / ".aws" / "sso" / "cache").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAHOST\naws_secret_access_key = host-secret-1\n"
        "[work]\naws_session_token = host-session-1\n")
    (home / ".aws" / "config").write_text("[profile x]\nregion = eu-west-1\n")
    (home / ".aws" / "sso" / "cache" / "t.json").write_text(json.dumps({"accessToken": "sso-token-1"}))
    (home / ".npmrc").write_text("//registry.npmjs.org/:_authToken=npmrc-token-1\n"
                                 "//other/:_authToken=${NPM_TOKEN}\n")
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text(
        "[global]\nindex-url = https://user:pipconf-pass-1@pypi.example/simple\n")
    (home / ".netrc").write_text("machine pypi.example login u password netrc-pass-1\n")
    (home / ".netrc").chmod(0o600)
    environ = {"AWS_SECRET_ACCESS_KEY": "env-aws-secret-1", "AWS_REGION": "eu-west-1",
               "PIP_INDEX_URL": "https://__token__:env-pip-pass-1@pypi.example/simple",
               "PIP_NO_CACHE_DIR": "1", "PIP_KEYRING_PROVIDER": "subprocess",
               "NPM_TOKEN": "env-npm-token-1", "npm_config_//r/:_authToken": "env-npm-token-2",
               "HTTPS_PROXY": "http://me:proxy-pass-1@proxy:3128", "HTTP_PROXY": "http://proxy:3128",
               "HOME": str(home)}
    found = build_host_secrets(ca_files=[ca], local_aws_credentials=[local, tmp_path / "missing.json"],
                               home=home, environ=environ)
    assert sorted(found) == sorted(KEY_LINES + ["d" * 64] + [
        "local-secret-1", "registry-pass-1", "events-token-1", "host-secret-1", "host-session-1",
        "sso-token-1", "npmrc-token-1", "pipconf-pass-1", "netrc-pass-1", "env-aws-secret-1",
        "env-pip-pass-1", "env-npm-token-1", "env-npm-token-2", "proxy-pass-1"])


def test_a_host_without_any_of_them_has_no_build_secrets(tmp_path):
    assert build_host_secrets(ca_files=[], local_aws_credentials=[], home=tmp_path, environ={}) == []


@pytest.mark.parametrize("text", ["", "no key here", "-----BEGIN PRIVATE KEY-----\nshort\n"])
def test_no_key_lines_without_a_whole_private_key(text):
    assert security.private_key_lines(text.encode()) == []
