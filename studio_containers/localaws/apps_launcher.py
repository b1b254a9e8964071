"""CreateApp starts the real app, as Studio does, through the same runtime as `invoke local`.

- KernelGateway: the image version's container, pulled from the local ECR, with our gateway
  runtime mounted, the AppImageConfig's kernels, UID/GID and mount path, and the profile's home.
- JupyterLab / CodeEditor: the space's image started as Studio starts it, with the space's home,
  behind a token front (Studio signs users in before a request reaches the app).
- JupyterServer: the local JupyterLab of `invoke local`, whose gateway client reaches the
  profile's KernelGateway apps through the gateway router (apps_router.py).

A launch runs in a thread of its own, so the API keeps answering; the app is Pending until it
answers, then InService, or Failed with a reason worded like Studio's. Tokens are derived from
the server's secret and the app's ARN, so a restarted server finds its apps again without
writing a secret anywhere.
"""
import hashlib
import hmac
import io
import logging
import os
import signal
import tarfile
import threading
from pathlib import Path
from typing import Callable

from docker.errors import DockerException, ImageNotFound, NotFound

from ..build.engine import connect
from ..errors import UserError
from ..local.lab import LabOptions, launch_lab, wait_lab
from ..pipeline import prepare
from ..ports import HOST, free_port
from ..runtime.gateway import (
    ROLE_LABEL,
    gateway_container,
    owner,
    prepare_home,
    remove,
    start_gateway,
)
from ..runtime.space import space_container, start_space
from ..settings import Settings
from ..spec import ContainerConfig, ImageSpec, Kernel
from ..studio import (
    DEFAULT_MOUNT_PATH,
    DEFAULT_UID_GID,
    JUPYTER_LAB,
    KERNEL_GATEWAY,
    SPACE_HOME,
)
from ..validate.layers import resolve_user
from .apps_models import JUPYTER_SERVER, App

ROLE = "studio-app"
APP_LABEL = "studio-containers.app"
log = logging.getLogger("studio_containers.localaws.apps")


class AppLauncher:
    def __init__(self, settings: Settings, lock: threading.Lock, save: Callable[[], None],
                 secret: str, registry_password: str):
        self.settings = settings
        self.lock, self.save = lock, save
        self.secret = secret.encode()
        self.registry_password = registry_password
        self.folder = settings.state_dir / "aws" / "apps"
        self.fronts = {}        # app ARN → TokenFront of a running space app
        self.router = None      # the gateway router, started with the first Jupyter server
        self._prepared = None
        self._prepare_lock = threading.Lock()     # the runtime is built once, maybe for minutes
        self._router_lock = threading.Lock()

    # What the API calls (under the server's lock)

    def launch(self, app: App) -> None:
        app.status, app.failure_reason = "Pending", None
        threading.Thread(target=self._launch, args=(app,), name=f"launch {app.arn}",
                         daemon=True).start()

    def stop(self, app: App) -> None:
        app.status = "Deleting"
        threading.Thread(target=self._stop, args=(app,), name=f"delete {app.arn}",
                         daemon=True).start()

    def token(self, app: App, purpose: str) -> str:
        message = f"{purpose}:{app.arn}:{app.creation_time.isoformat()}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def url(self, app: App) -> str | None:
        """Where a user opens a running app (with its token), for CreatePresignedDomainUrl."""
        if app.status != "InService":
            return None
        if app.app_type == JUPYTER_SERVER:
            return f"http://{HOST}:{app.runtime['port']}/lab?token={self.token(app, 'lab')}"
        if app.app_type in (JUPYTER_LAB, "CodeEditor"):
            suffix = "lab" if app.app_type == JUPYTER_LAB else ""
            return (f"http://{HOST}:{app.runtime['front_port']}{app.runtime['base_path']}/{suffix}"
                    f"?token={self.token(app, 'front')}")
        return None

    # Launching

    def _launch(self, app: App) -> None:
        """Each launcher returns where the app runs; it is recorded under the server's lock, as
        a save may be pickling the app at any moment."""
        try:
            where = {KERNEL_GATEWAY: self._launch_gateway, JUPYTER_SERVER: self._launch_server,
                     JUPYTER_LAB: self._launch_space, "CodeEditor": self._launch_space
                     }[app.app_type](app)
        except (UserError, DockerException) as exc:
            self._finish(app, "Failed", _reason(exc))
        except Exception as exc:  # noqa: BLE001 - any failure is the app's; the log has the rest
            log.exception("launching %s failed", app.arn)
            self._finish(app, "Failed", f"InternalFailure: {exc}")
        else:
            self._finish(app, "InService", None, where)

    def _finish(self, app: App, status: str, reason: str | None, where: dict | None = None) -> None:
        with self.lock:
            if where:
                app.runtime = {**app.runtime, **where}
            deleted = app.status in ("Deleting", "Deleted")
            if not deleted:
                app.status, app.failure_reason = status, reason
                self.save()
        if deleted and where:
            # Deleted while it started: the delete found nothing to remove yet, so this does.
            self._remove(app)
        log.info("%s: %s%s", app.arn, status, f" ({reason})" if reason else "")

    def _client(self):
        client = connect()
        if client is None:
            raise UserError("no Docker engine answers; start one (`./inv local` starts it on "
                            "this machine)")
        return client

    def _runtime(self):
        # Building the base and the gateway runtime can take minutes on a fresh machine: once.
        with self._prepare_lock:
            if self._prepared is None:
                self._prepared = prepare(self.settings, [], runtime=True)
            return self._prepared.runtime

    def _pull(self, client, reference: str):
        try:
            return client.images.get(reference)
        except ImageNotFound:
            pass
        auth = {"username": "AWS", "password": self.registry_password}
        try:
            return client.images.pull(reference, auth_config=auth)
        except DockerException as exc:
            raise UserError(f"CannotPullContainerError: {reference}: "
                            f"{getattr(exc, 'explanation', None) or exc}") from None

    def _container_name(self, app: App) -> str:
        digest = hashlib.sha256(app.arn.encode()).hexdigest()[:12]
        return f"studio-containers-app-{owner(self.settings.state_dir)}-{digest}"

    def _labels(self, app: App) -> dict[str, str]:
        return {ROLE_LABEL: ROLE, APP_LABEL: app.arn}

    def home(self, app: App) -> Path:
        """The profile's home (shared by its apps, Studio's EFS) or the space's (its EBS volume)."""
        kind = "users" if app.owner_kind == "UserProfileName" else "spaces"
        return self.settings.state_dir / "aws" / "homes" / app.domain_id / kind / app.owner

    def _launch_gateway(self, app: App) -> dict:
        client = self._client()
        config = app.runtime["config"]
        fs = {"MountPath": DEFAULT_MOUNT_PATH, "DefaultUid": DEFAULT_UID_GID[0],
              "DefaultGid": DEFAULT_UID_GID[1], **(config.get("FileSystemConfig") or {})}
        spec = _spec(app, kernels=tuple(Kernel(k["Name"], k.get("DisplayName") or k["Name"])
                                        for k in config.get("KernelSpecs") or []),
                     uid=fs["DefaultUid"], gid=fs["DefaultGid"], mount_path=fs["MountPath"])
        image = self._pull(client, app.runtime["image"])
        _check_user(client, image, spec, app)
        runtime = self._runtime()
        gc = gateway_container(spec, image.id, runtime, prepare_home(self.home(app), spec),
                               self.token(app, "gateway"), free_port(), self.settings.state_dir,
                               self.settings.tcp_nodelay, name=self._container_name(app),
                               labels=self._labels(app))
        try:
            start_gateway(client, gc, spec, self.settings.ready_timeout)
        except UserError as exc:
            text = str(exc)
            if ": kernels: " in text:    # launch.py's missing-kernel report
                raise UserError(f"KernelSpecs of AppImageConfig {app.runtime['config_name']}: "
                                f"{text.split(': kernels: ', 1)[1]}") from None
            raise
        return {"container": gc.name, "port": gc.host_port}

    def _launch_space(self, app: App) -> dict:
        client = self._client()
        container_config = (app.runtime["config"].get("ContainerConfig") or {})
        spec = _spec(app, uid=DEFAULT_UID_GID[0], gid=DEFAULT_UID_GID[1], mount_path=SPACE_HOME,
                     container_config=ContainerConfig(
                         tuple(container_config.get("ContainerEntrypoint") or ()),
                         tuple(container_config.get("ContainerArguments") or ()),
                         tuple(sorted((container_config.get("ContainerEnvironmentVariables")
                                       or {}).items())))
                     if container_config else None)
        image = self._pull(client, app.runtime["image"])
        sc = space_container(spec, image.id, prepare_home(self.home(app), spec), free_port(),
                             self.settings.state_dir, self.settings.aws_region,
                             name=self._container_name(app), space=app.owner,
                             labels=self._labels(app))
        try:
            _, base_path = start_space(client, sc, spec, self.settings.validate_space_ready_timeout,
                                       hint="setting validate.space_ready_timeout")
        except UserError as exc:
            raise UserError(f"InternalFailure: the space's app did not start as Studio requires: "
                            f"{exc}") from None
        front_port = self._start_front(app, sc.host_port)
        return {"container": sc.name, "port": sc.host_port, "base_path": base_path,
                "front_port": front_port}

    def _start_front(self, app: App, app_port: int) -> int:
        from ..local.front import TokenFront   # tornado: only when a space runs
        port = app.runtime.get("front_port") or free_port()
        self.fronts[app.arn] = TokenFront(port, self.token(app, "front"), app_port).start()
        return port

    def _launch_server(self, app: App) -> dict:
        from .apps_router import GatewayRouter
        with self._router_lock:
            if self.router is None:
                self.router = GatewayRouter(self).start()
        home = prepare_home(self.home(app), _spec(app, uid=DEFAULT_UID_GID[0],
                                                   gid=DEFAULT_UID_GID[1],
                                                   mount_path=DEFAULT_MOUNT_PATH))
        opts = self._lab_options(app, home, app.runtime.get("port") or free_port())
        proc = launch_lab(opts)
        wait_lab(proc, opts, self.settings.ready_timeout)
        return {"port": opts.port, "pid": proc.pid, "state": str(opts.state_dir)}

    def _lab_options(self, app: App, home: Path, port: int) -> LabOptions:
        state = self.folder / hashlib.sha256(app.arn.encode()).hexdigest()[:12]
        state.mkdir(parents=True, exist_ok=True)
        return LabOptions(port=port, token=self.token(app, "lab"),
                          gateway_url=self.router.user_url(app.domain_id, app.owner),
                          gateway_token=self.router.user_token(app.domain_id, app.owner),
                          root_dir=home, state_dir=state, tcp_nodelay=self.settings.tcp_nodelay)

    # Deleting and finding again

    def _stop(self, app: App) -> None:
        try:
            self._remove(app)
        except Exception:  # noqa: BLE001 - the app is gone for the API either way
            log.exception("deleting %s left something behind", app.arn)
        with self.lock:
            app.status = "Deleted"
            self.save()

    def _remove(self, app: App) -> None:
        front = self.fronts.pop(app.arn, None)
        if front is not None:
            front.stop()
        if app.app_type == JUPYTER_SERVER:
            _stop_lab(app.runtime.get("pid"), app.runtime.get("state"))
            return
        client = connect()
        if client is not None and app.runtime.get("container"):
            try:
                remove(client.containers.get(app.runtime["container"]))
            except NotFound:
                pass

    def reconcile(self, apps: list[App]) -> None:
        """After a restart: what still runs is InService again (its front restarted); what is
        gone is Failed; a launch or delete the restart cut short is finished."""
        for app in apps:
            if app.status == "Deleting":
                self.stop(app)
            elif app.status in ("InService", "Pending"):
                if app.status == "InService" and self._running(app):
                    if app.app_type in (JUPYTER_LAB, "CodeEditor"):
                        self._start_front(app, app.runtime["port"])
                    elif app.app_type == JUPYTER_SERVER and self.router is None:
                        from .apps_router import GatewayRouter
                        self.router = GatewayRouter(self).start()
                    continue
                self._remove(app)
                app.status = "Failed"
                app.failure_reason = ("InternalFailure: the app stopped while the local AWS was "
                                      "not running (its container or process is gone); delete it "
                                      "and create it again")

    def _running(self, app: App) -> bool:
        if app.app_type == JUPYTER_SERVER:
            return _lab_alive(app.runtime.get("pid"), app.runtime.get("state"))
        client = connect()
        try:
            container = client.containers.get(app.runtime.get("container") or "-")
        except (NotFound, AttributeError):
            return False
        return container.status == "running"

    def kernel_gateways(self, domain_id: str, profile: str) -> list[tuple[App, str, str]]:
        """The profile's running KernelGateway apps: (app, gateway URL, its token)."""
        with self.lock:
            apps = self.apps()
        return [(a, f"http://{HOST}:{a.runtime['port']}", self.token(a, "gateway"))
                for a in apps if a.app_type == KERNEL_GATEWAY and a.status == "InService"
                and (a.domain_id, a.owner_kind, a.owner) == (domain_id, "UserProfileName", profile)]

    def apps(self) -> list[App]:
        """Every app of every account and region (the stores are moto's, so looked up each time)."""
        from moto.sagemaker.models import sagemaker_backends

        from .apps_models import apps_store
        found = []
        for regions in sagemaker_backends.values():
            for backend in regions.values():
                if hasattr(backend, "apps_store"):
                    found += apps_store(backend).apps
        return found


def _spec(app: App, **fields) -> ImageSpec:
    name = app.runtime.get("image_name", app.name)
    return ImageSpec(**{"name": name, "display_name": name, "app_type": app.app_type,
                        "platform": "linux/amd64", "kernels": (), "folder": Path("/"), **fields})


def _check_user(client, image, spec: ImageSpec, app: App) -> None:
    """Studio refuses to run an image whose own user is not the AppImageConfig's UID/GID."""
    user = (image.attrs.get("Config") or {}).get("User") or ""
    accounts = {}
    container = client.containers.create(image.id, entrypoint=["/nonexistent"])
    try:
        for path in ("etc/passwd", "etc/group"):
            try:
                stream, _ = container.get_archive("/" + path)
            except NotFound:
                continue
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
                member = archive.next()
                accounts[path] = archive.extractfile(member).read().decode(errors="replace")
    finally:
        container.remove(force=True)
    if resolve_user(user, accounts) != (spec.uid, spec.gid):
        raise UserError(f"SageMaker is unable to launch the app using the image "
                        f"[{app.runtime['image']}]. Ensure that the UID/GID provided in the "
                        f"AppImageConfig ({spec.uid}/{spec.gid}) matches the default UID/GID "
                        f"defined in the image (USER {user or 'root'}).")


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "explanation", None) or str(exc)
    return text.splitlines()[0][:1024] if text else type(exc).__name__


def _lab_alive(pid, state) -> bool:
    if not pid or not state:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    # Never a recycled pid: the lab of this app has its own config folder in its environment.
    return b"jupyterlab" in cmdline and state.encode() in environ


def _stop_lab(pid, state) -> None:
    if _lab_alive(pid, state):
        os.kill(pid, signal.SIGTERM)

