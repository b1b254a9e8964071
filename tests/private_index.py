"""A private package index as teams have one: PEP 503 pages behind a token, on 127.0.0.1.

It serves one small pure-Python package, made here as a wheel, to a `pip install` that reads the
index URL (with its token) from a pip.conf given as a build secret; the tests then prove the
token is nowhere in the image.
"""
import base64
import contextlib
import csv
import hashlib
import http.server
import io
import secrets
import threading
import zipfile
from dataclasses import dataclass
from typing import Iterator

from studio_containers.ports import HOST, free_port

PROJECT = "studio-containers-private-demo"
MODULE = "studio_containers_private_demo"
VERSION = "1.0"
MESSAGE = "served by the private index"
SCRIPT = "private-demo"


def wheel() -> tuple[str, bytes]:
    """(file name, bytes) of a wheel holding MODULE with MESSAGE."""
    dist_info = f"{MODULE}-{VERSION}.dist-info"
    files = {
        f"{MODULE}/__init__.py": f"MESSAGE = {MESSAGE!r}\n\n\ndef main():\n    print(MESSAGE)\n".encode(),
        f"{dist_info}/entry_points.txt": f"[console_scripts]\n{SCRIPT} = {MODULE}:main\n".encode(),
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {VERSION}\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: studio-containers-tests\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([name, f"sha256={digest}", len(data)])
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    files[f"{dist_info}/RECORD"] = record.getvalue().encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return f"{MODULE}-{VERSION}-py3-none-any.whl", out.getvalue()


@dataclass(frozen=True)
class PrivateIndex:
    port: int
    token: str

    @property
    def url(self) -> str:
        return f"http://__token__:{self.token}@{HOST}:{self.port}/simple"

    def pip_conf(self) -> str:
        """A pip.conf as a team keeps one: its index first, PyPI for everything else."""
        return f"[global]\nindex-url = {self.url}\nextra-index-url = https://pypi.org/simple\n"


@contextlib.contextmanager
def private_index() -> Iterator[PrivateIndex]:
    name, data = wheel()
    token = "tok-" + secrets.token_hex(16)
    expected = "Basic " + base64.b64encode(f"__token__:{token}".encode()).decode()
    digest = hashlib.sha256(data).hexdigest()
    page = (f'<html><body><a href="/files/{name}#sha256={digest}">{name}</a></body></html>').encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="private"')
                self.end_headers()
                return
            path = self.path.split("?")[0].rstrip("/")
            body = {f"/simple/{PROJECT}": page, f"/files/{name}": data}.get(path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if path.startswith("/simple") else
                             "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((HOST, free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PrivateIndex(server.server_address[1], token)
    finally:
        server.shutdown()
        server.server_close()
