"""Saves and restores every moto backend in use, so a restart keeps every resource and id.

The file holds one JSON header line (format, moto version) and a pickle of the backends of each
service, account and region (a file that names a class by the module it had before the local AWS
was split by concern loads too). It is written to a temporary file and renamed, so a crash leaves
either the old state or the new one. A file that cannot be read is refused, never overwritten.
A write the disk refuses (full, read-only) leaves the old file whole and no temporary file; the
state stays in memory, and the next save that succeeds writes all of it.
"""
import hashlib
import io
import json
import pickle
import threading
from importlib.metadata import version
from pathlib import Path

from ...files import write_private

# moto is imported in the methods that use it: the server imports this module (StateNotSaved)
# before it has set the environment that moto reads when it is imported.

FORMAT = "studio-containers-localaws/1"
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
# The pickle names each class by its module: the modules of a file written before the local AWS
# was split by concern, and where they are now.
_PACKAGE = "studio_containers.localaws"
RENAMED_MODULES = {f"{_PACKAGE}.{old}": f"{_PACKAGE}.{new}" for old, new in {
    "models": "sagemaker.models", "responses": "sagemaker.responses",
    "validation": "server.constraints", "sagemaker.validation": "server.constraints",
    "paging": "sagemaker.paging",
    "moto_patches": "sagemaker.backend", "server": "server.app", "sigv4": "server.sigv4",
    "persistence": "server.persistence", "unimplemented": "server.unimplemented",
    "unreadable": "server.unreadable", "ecr_local": "ecr.local", "registry": "ecr.registry",
    **{f"apps_{concern}": f"apps.{concern}"
       for concern in ("images", "launcher", "models", "responses", "router")},
}.items()}


class CorruptState(Exception):
    pass


class StateNotSaved(Exception):
    """The disk refused the write; the file still holds the state of the last save."""


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        # Locks (ECR keeps one) are not state: a restored backend gets a fresh one.
        if isinstance(obj, _LOCK_TYPES):
            return threading.RLock, ()
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        return super().find_class(RENAMED_MODULES.get(module, module), name)


class StateFile:
    def __init__(self, path: Path):
        self.path = path
        self._saved_digest: str | None = None
        # True while memory holds changes a refused write could not put in the file.
        self.behind = False

    def load(self) -> int:
        """Restores the saved backends; returns how many were restored (0 when no file)."""
        if not self.path.exists():
            return 0
        raw = self.path.read_bytes()
        header_line, _, payload = raw.partition(b"\n")
        try:
            header = json.loads(header_line)
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise CorruptState(f"{self.path} is not a local AWS state file (unreadable header)")
        if header.get("moto") != version("moto"):
            raise CorruptState(f"{self.path} was written with moto {header.get('moto')}, this is "
                               f"moto {version('moto')}; its objects may not load")
        if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
            raise CorruptState(f"{self.path} is damaged (checksum mismatch)")
        try:
            services = _Unpickler(io.BytesIO(payload)).load()
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same thing
            raise CorruptState(f"{self.path} cannot be read: {exc}") from None
        from moto.backends import get_backend
        count = 0
        for service, accounts in services.items():
            backend_dict = get_backend(service)
            for account_id, regions in accounts.items():
                for region, backend in regions.items():
                    dict.__setitem__(backend_dict[account_id], region, backend)
                    count += 1
        self._saved_digest = hashlib.sha256(payload).hexdigest()
        return count

    def save(self) -> bool:
        """Writes the state if it changed since the last save; returns whether it wrote.

        StateNotSaved when the disk refuses the write (the file keeps the last saved state)."""
        from moto.core.base_backend import AccountSpecificBackend, BackendDict
        snapshot = {}
        for backend_dict in list(BackendDict._instances):
            accounts = {}
            for account_id, regions in backend_dict.items():
                if isinstance(regions, AccountSpecificBackend) and len(regions):
                    accounts[account_id] = dict(regions.items())
            if accounts:
                snapshot[backend_dict.service_name] = accounts
        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(snapshot)
        payload = buffer.getvalue()
        digest = hashlib.sha256(payload).hexdigest()
        if digest == self._saved_digest:
            self.behind = False
            return False
        header = json.dumps({"format": FORMAT, "moto": version("moto"), "sha256": digest})
        try:
            # fsync: the state is the only copy of every resource; a power cut must not lose it.
            write_private(self.path, header.encode() + b"\n" + payload, fsync=True)
        except OSError as exc:
            self.behind = True
            raise StateNotSaved(f"could not save the local AWS state to {self.path}: "
                                f"{exc.strerror or exc}; the previous state is kept") from exc
        self._saved_digest = digest
        self.behind = False
        return True
