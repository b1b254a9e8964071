"""What the security checks of the tests look at: every listening TCP socket of this machine (to
find those a step opened), files and image layers that must not hold a secret, and the secrets a
build could pick up from the host."""
import bz2
import configparser
import gzip
import json
import lzma
import netrc
import re
import socket
import struct
import tarfile
from pathlib import Path
from typing import BinaryIO, Iterable, Mapping
from urllib.parse import urlsplit

LISTEN = "0A"


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(hex_address, 16)))
    # /proc/net/tcp6 writes the address as four little-endian 32-bit words.
    words = [struct.pack("<I", int(hex_address[i:i + 8], 16)) for i in range(0, 32, 8)]
    return socket.inet_ntop(socket.AF_INET6, b"".join(words))


def listeners() -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket, IPv4 and IPv6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == LISTEN:
                address, port = fields[1].split(":")
                found.add((_address(address), int(port, 16)))
    return found


def not_loopback(found: set[tuple[str, int]]) -> set[tuple[str, int]]:
    return {(a, p) for a, p in found if a not in ("127.0.0.1", "::1")}


def mask(secret: str) -> str:
    """How a found secret is named in a failure: enough to tell which, not enough to use it."""
    return secret[:6] + "…"


CHUNK = 1 << 20     # what is read at a time: files and layers are searched without loading them


def _holding(stream: BinaryIO, wanted: list[bytes]) -> list[bytes]:
    """Which of `wanted` the stream holds, read CHUNK bytes at a time; a secret split across two
    reads is found (the end of each read is kept, one byte shorter than the longest secret)."""
    keep = max(map(len, wanted), default=1) - 1
    found: set[bytes] = set()
    tail = b""
    while chunk := stream.read(CHUNK):
        data = tail + chunk
        found.update(s for s in wanted if s not in found and s in data)
        tail = data[-keep:] if keep else b""
    return [s for s in wanted if s in found]


def files_holding(root: Path, secrets: list[str], allowed: set[Path]) -> list[str]:
    """Files under root (but those allowed) that contain any of the secrets, and which."""
    found = []
    wanted = [s.encode() for s in dict.fromkeys(secrets) if s]
    if not wanted:
        return found
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        if path in allowed:
            continue
        try:
            with open(path, "rb") as stream:
                hits = _holding(stream, wanted)
        except OSError:
            continue
        if hits:
            found.append(f"{path}: {', '.join(mask(s.decode()) for s in hits)}")
    return found


# Image layers: `docker save` is a tar of the image's config, manifests and one tar per layer,
# as <id>/layer.tar (Docker's own format) or blobs/sha256/<digest> (OCI layout, Docker >= 25; the
# containerd image store keeps layers gzip-compressed there). Layer tars are searched file by
# file, every other member (config JSON with its history and environment, manifests) as it is.

MAX_NESTING = 3     # compressed tar inside the save's tar: 2 levels; more is not an image layer


class _Chunks:
    """A file-like reader over an iterable of byte chunks (what `Image.save()` yields)."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = iter(chunks)
        self._chunk, self._at = b"", 0     # tar reads 10 KB at a time: never copy a chunk's rest

    def read(self, size: int = -1) -> bytes:
        parts = []
        while size != 0:
            if self._at >= len(self._chunk):
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._chunk, self._at = chunk, 0
                continue
            end = len(self._chunk) if size < 0 else min(len(self._chunk), self._at + size)
            parts.append(self._chunk[self._at:end])
            if size > 0:
                size -= end - self._at
            self._at = end
        return b"".join(parts)


class _Prefixed:
    """A stream whose first bytes were already read to tell what it is: gives them back first."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head, self._rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def _kind(head: bytes) -> str:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head[257:262] == b"ustar":      # POSIX and GNU tar headers (Docker writes PAX)
        return "tar"
    return "data"


DECOMPRESS = {"gzip": lambda s: gzip.GzipFile(fileobj=s, mode="rb"),
              "bzip2": lambda s: bz2.BZ2File(s, mode="rb"),
              "xz": lambda s: lzma.LZMAFile(s, mode="rb")}


def _tar_members(stream) -> Iterable[tuple[tarfile.TarInfo, BinaryIO]]:
    """Regular files of a tar read as a stream (forward only), each with its reader."""
    tar = tarfile.open(fileobj=stream, mode="r|")
    while (member := tar.next()) is not None:
        if member.isreg():
            yield member, tar.extractfile(member)
        tar.members.clear()     # a stream's members need not be kept: layers have 100 000s


def _search(stream, where: str, wanted: list[bytes], depth: int = 0
            ) -> Iterable[tuple[str, list[bytes] | None]]:
    """(where, secrets found) for each place in the stream holding one; None: not searchable."""
    head = stream.read(512)
    kind = _kind(head)
    stream = _Prefixed(head, stream)
    if kind == "data" or depth >= MAX_NESTING:
        hits = _holding(stream, wanted)
        if hits:
            yield where, hits
    elif kind == "tar":
        for member, reader in _tar_members(stream):
            inner = f"{where}:{member.name}" if where else member.name
            if where:   # a file in a layer: its bytes as the image holds them
                hits = _holding(reader, wanted)
                if hits:
                    yield inner, hits
            else:       # a member of the save's tar: a layer, a config, a manifest
                yield from _search(reader, inner, wanted, depth + 1)
    elif kind in DECOMPRESS:
        yield from _search(DECOMPRESS[kind](stream), f"{where} ({kind})", wanted, depth + 1)
    else:
        yield f"{where} ({kind})", None


def image_layers_holding(client, image: str, secrets: list[str]) -> list[str]:
    """Places in the image (a file of a layer, or a config or manifest of `docker save`) that
    contain any of the secrets, and which; a layer that cannot be searched (zstd, which Python
    cannot read) is listed too, so it fails a check instead of passing it unseen."""
    wanted = [s.encode() for s in dict.fromkeys(secrets) if s]
    if not wanted:
        return []
    found = []
    for where, hits in _search(_Chunks(client.images.get(image).save()), "", wanted):
        if hits is None:
            found.append(f"{image}: {where}: not searched (compression Python cannot read)")
        else:
            found.append(f"{image}: {where}: {', '.join(mask(s.decode()) for s in hits)}")
    return found


# The secrets a build on this host could pick up: what a leak into an image would be.

MIN_SECRET = 8      # shorter values ("true", "1") are settings, and would match anywhere
PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(.*?)-----END [A-Z0-9 ]*PRIVATE KEY-----",
                         re.DOTALL)
SECRET_NAME = re.compile(r"TOKEN|PASSW|SECRET|_AUTH|API_?KEY|ACCESS_KEY", re.IGNORECASE)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY")
AWS_SECRET_FIELDS = ("aws_secret_access_key", "aws_session_token", "aws_security_token")
AWS_CACHE_FIELDS = ("accessToken", "refreshToken", "clientSecret", "SecretAccessKey", "SessionToken")
NPMRC_SECRET = re.compile(r"(?:_authToken|_auth|_password)\s*=\s*(\S+)")


def _read(path: Path, limit: int = 1 << 20) -> bytes:
    try:
        return path.read_bytes()[:limit] if path.is_file() and path.stat().st_size <= limit else b""
    except OSError:
        return b""


def private_key_lines(data: bytes) -> list[str]:
    """Each full base64 line of every PEM private key in `data`: what a copied key shows."""
    lines = []
    for body in PRIVATE_KEY.findall(data):
        lines += [line.strip().decode() for line in body.splitlines()
                  if len(line.strip()) >= 40 and b":" not in line]
    return lines


def _url_password(value: str) -> str:
    try:
        return urlsplit(value.strip()).password or ""
    except ValueError:
        return ""


def _json_values(data: bytes, fields: tuple[str, ...]) -> list[str]:
    try:
        document = json.loads(data)
    except ValueError:
        return []
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in fields and isinstance(value, str):
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(document)
    return found


def build_host_secrets(*, ca_files: Iterable[Path], local_aws_credentials: Iterable[Path],
                       home: Path, environ: Mapping[str, str]) -> list[str]:
    """What must never be in an image built here: the private key of any CA the build trusts (a
    PEM given as a CA that also holds its key, or a key file beside it, as a TLS-inspecting
    proxy's folder has), the local AWS's secrets, the host's AWS credentials (~/.aws files and
    caches, AWS_* variables), pip and npm tokens (PIP_*/NPM_* variables, ~/.npmrc, pip.conf
    index URLs, ~/.netrc) and proxy passwords."""
    found: list[str] = []
    for ca in ca_files:
        ca = Path(ca)
        found += private_key_lines(_read(ca))
        for sibling in sorted(ca.parent.glob("*")) if ca.parent.is_dir() else []:
            if sibling != ca and sibling.suffix in (".pem", ".key", ".crt"):
                found += private_key_lines(_read(sibling))
    for path in local_aws_credentials:
        fields = ("secret_access_key", "registry_password", "events_token")
        found += _json_values(_read(Path(path)), fields)
    aws = home / ".aws"
    for name in ("credentials", "config"):
        parser = configparser.RawConfigParser()
        try:
            parser.read_string(_read(aws / name).decode(errors="replace"))
        except configparser.Error:
            continue
        found += [parser[section][key] for section in parser.sections()
                  for key in AWS_SECRET_FIELDS if key in parser[section]]
    for cache in (aws / "sso" / "cache", aws / "cli" / "cache"):
        for path in sorted(cache.glob("*.json")) if cache.is_dir() else []:
            found += _json_values(_read(path), AWS_CACHE_FIELDS)
    found += NPMRC_SECRET.findall(_read(home / ".npmrc").decode(errors="replace"))
    for pip_conf in (home / ".config" / "pip" / "pip.conf", home / ".pip" / "pip.conf"):
        for line in _read(pip_conf).decode(errors="replace").splitlines():
            found += [_url_password(word) for word in line.replace("=", " ").split()]
    try:
        credentials = netrc.netrc(str(home / ".netrc")).hosts.values() \
            if (home / ".netrc").is_file() else []
    except (netrc.NetrcParseError, OSError):
        credentials = []
    found += [password for _, _, password in credentials if password]
    for name, value in environ.items():
        upper = name.upper()
        if upper in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            found.append(value)
        elif upper.startswith(("PIP_", "NPM_")):
            found.append(_url_password(value) or (value if SECRET_NAME.search(upper) else ""))
        elif upper in PROXY_VARIABLES:
            found.append(_url_password(value))
    return [s for s in dict.fromkeys(found) if len(s) >= MIN_SECRET and "${" not in s]
