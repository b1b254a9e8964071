"""CreateApp starts the real app, as Studio does, through the same runtime as `invoke local`.

- KernelGateway: the image version's container, pulled from the local ECR, with our gateway
  runtime mounted, the AppImageConfig's kernels, UID/GID and mount path, and the profile's home.
- JupyterLab / CodeEditor: the space's image started as Studio starts it, with the space's home,
  behind a token front (Studio signs users in before a request reaches the app).
- JupyterServer: the local JupyterLab of `invoke local`, whose gateway client reaches the
  profile's KernelGateway apps through the gateway router (router.py). It is a process on
  this machine, so a VpcOnly domain does not keep it in; it runs no user code but its terminals.
Everything is started through runtime/, as `invoke local` starts it: start.py places a container
app (network, and credentials where the network reaches them) and serves a space behind its
front, gateway.py starts a gateway, lab.py the JupyterLab.

A launch runs in a thread of its own, so the API keeps answering; the app is Pending until it
answers, then InService, or Failed with a reason worded like Studio's. Tokens are derived from
the server's secret and the app's ARN, so a restarted server finds its apps again without
writing a secret anywhere.
"""
import base64
import hashlib
import hmac
import io
import logging
import tarfile
import threading
import time
from pathlib import Path
from typing import Callable

from docker.errors import DockerException, ImageNotFound, NotFound

from ...build.engine import connect
from ...errors import UserError
from ...pipeline import prepare
from ...ports import HOST, free_port
from ...runtime import user_nat
from ...runtime.container import ROLE_LABEL, container_logs, owner, remove
from ...runtime.gateway import gateway_container, start_gateway
from ...runtime.home import prepare_home
from ...runtime.lab import (
    LabOptions,
    is_lab_of,
    launch_lab,
    stop_lab,
    stop_lab_pid,
    wait_lab,
)
from ...runtime.network import PUBLIC
from ...runtime.space import space_container
from ...runtime.start import Placement, place, serve_space
from ...settings import Settings
from ...spec import ContainerConfig, ImageSpec, Kernel
from ...studio import (
    APPS,
    DEFAULT_MOUNT_PATH,
    DEFAULT_UID_GID,
    JUPYTER_SERVER,
    KERNEL_GATEWAY,
    SPACE_HOME,
    AppStatus,
    Owner,
)
from ...validate.layers import resolve_user
from .models import App

ROLE = "studio-app"
APP_LABEL = "studio-containers.app"
INSTANCE_LABEL = "studio-containers.app-instance"
log = logging.getLogger("studio_containers.localaws.apps")


class AppLauncher:
    def __init__(self, settings: Settings, lock: threading.Lock, save: Callable[[], None],
                 secret: str, registry_password: str, credentials=None, credentials_url: str = ""):
        self.settings = settings
        self.lock, self.save = lock, save
        # A key of its own for app tokens, derived from the server's secret (never the key itself).
        self.secret = hmac.new(secret.encode(), b"studio-containers apps", hashlib.sha256).digest()
        self.registry_password = registry_password
        # The container credentials of apps whose network reaches this machine's loopback (a
        # CredentialsIssuer served by the local AWS at credentials_url), None without.
        self.credentials, self.credentials_url = credentials, credentials_url
        self.folder = settings.state_dir / "aws" / "apps"
        self.fronts = {}        # app instance → TokenFront of a running space app
        self.labs = {}          # app instance → Popen of a JupyterServer app's lab started here
        self.launching = set()  # app instances whose launch thread runs
        self.router = None      # the gateway router, started with the first Jupyter server
        self._prepared = None
        self._prepare_lock = threading.Lock()     # the runtime is built once, maybe for minutes
        self._router_lock = threading.Lock()

    # What the API calls (under the server's lock)

    def launch(self, app: App) -> None:
        app.status, app.failure_reason = AppStatus.PENDING, None
        self.launching.add(instance(app))
        threading.Thread(target=self._launch, args=(app,), name=f"launch {app.arn}",
                         daemon=True).start()

    def stop(self, app: App) -> None:
        app.status = AppStatus.DELETING
        if instance(app) in self.launching:
            return      # its launch thread sees Deleting when it ends, and deletes then
        threading.Thread(target=self._stop, args=(app,), name=f"delete {app.arn}",
                         daemon=True).start()

    def token(self, app: App, purpose: str) -> str:
        message = f"{purpose}:{app.arn}:{app.creation_time.isoformat()}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def url(self, app: App, host: str = HOST) -> str | None:
        """Where a user opens a running app (with its token), for CreatePresignedDomainUrl;
        `host`: this machine as the caller reaches it."""
        if app.status != AppStatus.IN_SERVICE:
            return None
        kind = APPS[app.app_type]
        if kind.url_suffix is None:
            return None
        if kind.is_space:
            return (f"http://{host}:{app.runtime['front_port']}"
                    f"{kind.url_path(app.runtime['base_path'])}?token={self.token(app, 'front')}")
        return f"http://{host}:{app.runtime['port']}{kind.url_path()}?token={self.token(app, 'lab')}"

    # Launching

    def _launch(self, app: App) -> None:
        """Each launcher returns where the app runs; it is recorded under the server's lock, as
        a save may be pickling the app at any moment."""
        where, reason = None, None
        try:
            kind = APPS[app.app_type]
            launch = (self._launch_space if kind.is_space else self._launch_gateway
                      if kind.takes_image else self._launch_server)
            where = launch(app)
        except (UserError, DockerException) as exc:
            reason = _reason(exc)
        except Exception as exc:  # noqa: BLE001 - any failure is the app's; the log has the rest
            log.exception("launching %s failed", app.arn)
            reason = f"InternalFailure: {exc}"
        if reason:
            # Before the status says Failed: a caller that sees Failed finds nothing left running,
            # as with AWS.
            self._remove_quietly(app)
        with self.lock:
            self.launching.discard(instance(app))
            if where:
                app.runtime = {**app.runtime, **where}
            deleting = app.status == AppStatus.DELETING
            if not deleting:
                app.status = AppStatus.FAILED if reason else AppStatus.IN_SERVICE
                app.failure_reason = reason
                self.save()
        log.info("%s: %s", app.arn, "deleted while starting" if deleting else app.status +
                 (f" ({reason})" if reason else ""))
        if deleting:
            self._stop(app)

    def _remove_quietly(self, app: App) -> None:
        try:
            self._remove(app)       # whatever the failed start left (a container, a front)
        except Exception:  # noqa: BLE001 - the start's own failure is the one to report
            log.exception("cleaning up the failed start of %s left something behind", app.arn)

    def _record(self, app: App, **where) -> None:
        with self.lock:
            app.runtime = {**app.runtime, **where}

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
        return f"studio-containers-app-{owner(self.settings.state_dir)}-{instance(app)}"

    def _labels(self, app: App) -> dict[str, str]:
        return {ROLE_LABEL: ROLE, APP_LABEL: app.arn, INSTANCE_LABEL: instance(app)}

    def home(self, app: App) -> Path:
        """The profile's home (shared by its apps, Studio's EFS) or the space's (its EBS volume)."""
        kind = "users" if app.owner_kind == Owner.USER_PROFILE else "spaces"
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
        _check_user(client, image, spec, app, self._labels(app))
        runtime = self._runtime()
        placed = self._place(client, app)
        gc = gateway_container(spec, image.id, runtime, prepare_home(self.home(app), spec),
                               self.token(app, "gateway"), free_port(), self.settings.state_dir,
                               self.settings.tcp_nodelay, name=self._container_name(app),
                               labels=self._labels(app), network=placed.network, aws=placed.aws)
        try:
            container = start_gateway(client, gc, spec, self.settings.ready_timeout)
        except UserError as exc:
            text = str(exc)
            if ": kernels: " in text:    # launch.py's missing-kernel report
                raise UserError(f"KernelSpecs of AppImageConfig {app.runtime['config_name']}: "
                                f"{text.split(': kernels: ', 1)[1]}") from None
            raise
        self._run_lifecycle(app, container, spec)
        return {"container": gc.name, "port": gc.host_port}

    def _run_lifecycle(self, app: App, container, spec) -> None:
        """The app's lifecycle config, run in it as Studio runs it before the app is InService;
        a failure fails the app, its output kept where CloudWatch would hold it."""
        lifecycle = app.runtime.get("lifecycle")
        if not lifecycle:
            return
        from ...runtime.lifecycle import run_lifecycle
        log_path = self.settings.state_dir / "aws" / "lifecycle" / f"{instance(app)}.log"
        run = run_lifecycle(container, lifecycle["name"], base64.b64decode(lifecycle["content"]),
                            f"{spec.uid}:{spec.gid}", spec.mount_path,
                            self.settings.lifecycle_timeout, log_path)
        log.info("%s: lifecycle config %s: %s in %.1fs (log %s)", app.arn, lifecycle["name"],
                 "ok" if run.ok else run.failure(), run.seconds, log_path)
        if not run.ok:
            last = run.last_output_line()
            raise UserError(f"LifecycleConfigFailure: {run.failure()}"
                            + (f"; its last line: {last}" if last else "")
                            + f". Its output is in {log_path} (CloudWatch, in AWS).")

    def _place(self, client, app: App) -> Placement:
        return place(client, self.settings.local_network, space=APPS[app.app_type].is_space,
                     access=app.runtime.get("network_access") or PUBLIC,
                     access_from=f"AppNetworkAccessType of domain {app.domain_id}",
                     credentials=lambda: self._aws(app))

    def _aws(self, app: App) -> dict[str, str] | None:
        """The app's container credentials: its owner's execution role, as Studio gives it.
        The token is derived from the app, so a restart of the local AWS serves it again."""
        if self.credentials is None:
            return None
        role = app.runtime.get("execution_role")
        if not role:
            return None
        return self.credentials.add(lambda: role, self.credentials_url, self.token(app, "credentials"))

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
        placed = self._place(client, app)
        sc = space_container(spec, image.id, prepare_home(self.home(app), spec), free_port(),
                             self.settings.state_dir, self.settings.aws_region,
                             name=self._container_name(app), space=app.owner,
                             labels=self._labels(app), network=placed.network, aws=placed.aws)
        front_port = app.runtime.get("front_port") or free_port()
        while front_port == sc.host_port:     # neither is bound yet: two picks may agree
            front_port = free_port()
        try:
            space = serve_space(client, sc, spec, front_port=front_port,
                                front_token=self.token(app, "front"),
                                timeout=self.settings.validate_space_ready_timeout,
                                hint="setting validate.space_ready_timeout")
        except UserError as exc:
            raise UserError(f"InternalFailure: the space's app did not start as Studio requires: "
                            f"{exc}") from None
        self.fronts[instance(app)] = space.front
        self._run_lifecycle(app, space.container, spec)
        return {"container": sc.name, "port": sc.host_port, "base_path": space.base_path,
                "front_port": front_port}

    def _start_front(self, app: App, app_port: int) -> None:
        """The front of a space found running after a restart, on its port as before."""
        from ...runtime.front import TokenFront  # tornado: only when a space runs
        self.fronts[instance(app)] = TokenFront(app.runtime["front_port"], self.token(app, "front"),
                                                app_port).start()

    def _ensure_router(self) -> bool:
        """The gateway router, on its saved port when it is free; True when it had to move."""
        from .router import GatewayRouter
        with self._router_lock:
            if self.router is not None:
                return False
            try:
                self.router = GatewayRouter(self).start()
                return False
            except OSError:
                self.router = GatewayRouter(self, saved_port=False).start()
                return True

    def _launch_server(self, app: App) -> dict:
        self._ensure_router()
        home = prepare_home(self.home(app), _spec(app, uid=DEFAULT_UID_GID[0],
                                                   gid=DEFAULT_UID_GID[1],
                                                   mount_path=DEFAULT_MOUNT_PATH))
        opts = self._lab_options(app, home, app.runtime.get("port") or free_port())
        proc = launch_lab(opts)
        self.labs[instance(app)] = proc
        # Recorded before the wait: a restart or a delete meanwhile must find the process.
        self._record(app, port=opts.port, pid=proc.pid, state=str(opts.state_dir))
        wait_lab(proc, opts, self.settings.ready_timeout)
        return {}

    def _lab_options(self, app: App, home: Path, port: int) -> LabOptions:
        state = self.folder / instance(app)
        state.mkdir(parents=True, exist_ok=True)
        return LabOptions(port=port, token=self.token(app, "lab"),
                          gateway_url=self.router.user_url(app.domain_id, app.owner),
                          gateway_token=self.router.user_token(app.domain_id, app.owner),
                          root_dir=home, state_dir=state, tcp_nodelay=self.settings.tcp_nodelay)

    # Deleting and finding again

    def _stop(self, app: App) -> None:
        try:
            self._remove(app)
        except Exception as exc:  # noqa: BLE001 - said in the app's status; the log has the rest
            log.exception("deleting %s left something behind", app.arn)
            status, reason = AppStatus.FAILED, f"InternalFailure: the delete did not finish: {exc}"
        else:
            status, reason = AppStatus.DELETED, None
        with self.lock:
            app.status, app.failure_reason = status, reason
            self.save()

    def _remove(self, app: App) -> None:
        """Stops everything of this app instance: found by its label and records, not by what
        the launch got to report (a cut-off launch reports nothing)."""
        front = self.fronts.pop(instance(app), None)
        if front is not None:
            front.stop()
        if self.credentials is not None:
            self.credentials.remove(self.token(app, "credentials"))
        if app.app_type == JUPYTER_SERVER:
            proc = self.labs.pop(instance(app), None)
            if proc is not None:
                stop_lab(proc)
            else:           # started before a restart: not our child any more
                stop_lab_pid(app.runtime.get("pid"), Path(app.runtime.get("state") or "/nonexistent"))
            return
        client = connect()
        if client is None:
            return
        for container in client.containers.list(
                all=True, filters={"label": f"{INSTANCE_LABEL}={instance(app)}"}):
            remove(container)
        user_nat.reap()     # the NAT of a container that went by other means (docker rm)

    def reconcile(self, apps: list[App]) -> None:
        """After a restart: what still runs is InService again (its front restarted); what is
        gone is Failed; a launch or delete the restart cut short is finished."""
        for app in apps:
            if app.status == AppStatus.DELETING:
                self.stop(app)
            elif app.status in (AppStatus.IN_SERVICE, AppStatus.PENDING):
                reason = self._resume(app)
                if reason:
                    self._remove(app)
                    app.status, app.failure_reason = AppStatus.FAILED, reason

    def _resume(self, app: App) -> str | None:
        """Serves an app found running again; the reason it cannot be, or None."""
        if app.status == AppStatus.PENDING:
            return ("InternalFailure: the local AWS stopped while the app was starting; delete "
                    "it and create it again")
        if not self._running(app):
            return ("InternalFailure: the app stopped while the local AWS was not running (its "
                    "container or process is gone); delete it and create it again")
        try:
            if APPS[app.app_type].takes_image:
                self._aws(app)      # its container still has the variables; serve them again
            if APPS[app.app_type].is_space:
                self._start_front(app, app.runtime["port"])
            elif app.app_type == JUPYTER_SERVER and self._ensure_router():
                return (f"InternalFailure: the gateway router's port {app.runtime.get('port')} "
                        "is taken by another program, so this lab cannot reach its kernels; "
                        "delete the app and create it again")
        except OSError as exc:
            return (f"InternalFailure: port {app.runtime.get('front_port')} of the app's front "
                    f"is taken ({exc.strerror}); delete the app and create it again")
        return None

    def watch(self, interval: float = 2.0) -> None:
        """Notices, as Studio does, an app whose container or lab stopped on its own (killed, out
        of memory, its process exited): it becomes Failed with why, and what is left is removed."""
        threading.Thread(target=self._watch, args=(interval,), name="apps watch",
                         daemon=True).start()

    def _watch(self, interval: float) -> None:
        while True:     # for the server's life, not a wait: it has no deadline
            time.sleep(interval)
            with self.lock:
                serving = [a for a in self.apps() if a.status == AppStatus.IN_SERVICE]
            if any(a.app_type != JUPYTER_SERVER for a in serving) and connect() is None:
                continue        # the engine not answering for a moment says nothing of the apps
            for app in serving:
                if self._running(app):
                    continue
                reason = f"InternalFailure: the app stopped on its own{self._exit(app)}"
                # What is left goes first: whoever sees Failed finds nothing of the app running.
                self._remove(app)
                with self.lock:
                    if app.status != AppStatus.IN_SERVICE:
                        continue        # deleted meanwhile
                    app.status, app.failure_reason = AppStatus.FAILED, reason
                    self.save()
                log.warning("%s: %s", app.arn, reason)

    def _exit(self, app: App) -> str:
        """How the app's container ended, for its FailureReason."""
        client = connect()
        if client is None or app.app_type == JUPYTER_SERVER:
            return ""
        for container in client.containers.list(
                all=True, filters={"label": f"{INSTANCE_LABEL}={instance(app)}"}):
            code = container.attrs.get("State", {}).get("ExitCode")
            last = [line for line in container_logs(container) if line.strip()][-1:]
            return f" (exit code {code}" + (f"; last line: {last[0][:300]}" if last else "") + ")"
        return " (its container is gone)"

    def _running(self, app: App) -> bool:
        if app.app_type == JUPYTER_SERVER:
            return is_lab_of(app.runtime.get("pid") or 0, Path(app.runtime.get("state") or "/nonexistent"))
        client = connect()
        if client is None:
            return False
        return bool(client.containers.list(filters={"label": f"{INSTANCE_LABEL}={instance(app)}",
                                                    "status": "running"}))

    def kernel_gateways(self, domain_id: str, profile: str) -> list[tuple[App, str, str]]:
        """The profile's running KernelGateway apps: (app, gateway URL, its token)."""
        with self.lock:
            apps = self.apps()
        return [(a, f"http://{HOST}:{a.runtime['port']}", self.token(a, "gateway"))
                for a in apps if a.app_type == KERNEL_GATEWAY and a.status == AppStatus.IN_SERVICE
                and (a.domain_id, a.owner_kind, a.owner) == (domain_id, Owner.USER_PROFILE, profile)]

    def apps(self) -> list[App]:
        """Every app of every account and region (the stores are moto's, so looked up each time)."""
        from moto.sagemaker.models import sagemaker_backends

        from .models import apps_store
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


def _check_user(client, image, spec: ImageSpec, app: App, labels: dict[str, str]) -> None:
    """Studio refuses to run an image whose own user is not the AppImageConfig's UID/GID."""
    user = (image.attrs.get("Config") or {}).get("User") or ""
    accounts = {}
    # Created, never started: only its files are read. Labelled, so a cut-off launch's cleanup
    # finds it too.
    container = client.containers.create(image.id, entrypoint=["/nonexistent"], labels=labels)
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


def instance(app: App) -> str:
    """One incarnation of an app: a deleted app created again under the same ARN is another, so
    a late cleanup of the old one never touches the new one's container or lab."""
    return hashlib.sha256(f"{app.arn}:{app.creation_time.isoformat()}".encode()).hexdigest()[:12]


