"""The local JupyterLab: the Studio Jupyter server's role, reaching kernels through the gateway.

It uses jupyter_server's GatewayClient (the successor of nb2kg), so kernels and kernelspecs come
from the KernelGateway container only, exactly as in Studio.
"""
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .. import PROJECT_ROOT, processes
from ..console import show_tail
from ..errors import UserError
from ..files import open_private_log, write_private
from ..ports import HOST
from ..settings import default
from ..studio import APPS, JUPYTER_SERVER
from ..wait import NotYet, WaitTimeout, wait_until
from . import RUNTIME_DIR

STOP_TIMEOUT = 15
RUNTIME_HELPERS = RUNTIME_DIR                           # nodelay.py and lean.py, shared with the gateway runtime
LAB_HELPERS = PROJECT_ROOT / "local" / "lab"           # relay.py and hosts.py, for the lab only


@dataclass(frozen=True)
class LabOptions:
    port: int
    token: str
    gateway_url: str
    gateway_token: str
    root_dir: Path
    state_dir: Path
    tcp_nodelay: bool = field(default_factory=lambda: default("local.tcp_nodelay"))

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "jupyterlab.log"


def lab_command(opts: LabOptions) -> list[str]:
    # `python -m jupyterlab` with the start-up costs of lean.py skipped (2 s of its 2.5 s here).
    start = (f"import sys; sys.path.insert(0, {str(RUNTIME_HELPERS)!r}); import lean; "
             "lean.skip_unused_format_checkers(); lean.skip_yarn_config(); "
             "from jupyterlab.labapp import main; sys.exit(main())")
    cmd = [sys.executable, "-c", start, "--no-browser",
           f"--ServerApp.ip={HOST}", f"--ServerApp.port={opts.port}", "--ServerApp.port_retries=0",
           f"--ServerApp.root_dir={opts.root_dir}",
           # Offline and self-contained: no update checks, no announcements, no PyPI extension manager.
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.news_url=None", "--LabApp.extension_manager=readonly"]
    if os.geteuid() == 0:
        cmd.append("--ServerApp.allow_root=True")
    return cmd


PASSED_ENV = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")


def lab_environment(opts: LabOptions) -> dict[str, str]:
    # Only what a server needs: jupyter_server logs the environment it starts kernels with, and
    # the gateway client forwards parts of it, so nothing of the user's shell (cloud keys,
    # tokens) goes in, and the lab's own tokens travel in its 0600 config file instead.
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env.update({
        # The user's own ~/.jupyter settings must not change what Studio's architecture does.
        "JUPYTER_CONFIG_DIR": str(config_dir(opts.state_dir)),
        "JUPYTER_RUNTIME_DIR": str(opts.state_dir / "jupyter-runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(opts.state_dir / "lab-settings"),
    })
    return env


def write_config(opts: LabOptions) -> None:
    """The lab's own config folder: its tokens, the gateway, and Nagle off on kernel websockets.

    Readable by this user only: secrets travel here, not in argv (`ps`) or the environment."""
    folder = config_dir(opts.state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    text = ("# Written by studio-containers for the local JupyterLab.\n"
            f"c.IdentityProvider.token = {opts.token!r}\n"
            f"c.GatewayClient.url = {opts.gateway_url!r}\n"
            f"c.GatewayClient.auth_token = {opts.gateway_token!r}\n")
    text += (f"import sys\nsys.path[:0] = [{str(LAB_HELPERS)!r}, {str(RUNTIME_HELPERS)!r}]\n"
             "import relay  # noqa: E402\n"
             "c.ServerApp.kernel_websocket_connection_class = relay.DeferredGatewayConnection\n"
             # No jpserver-*-open.html: a world-readable page carrying the token, for a browser
             # nobody opens. The switch is not a configurable trait, so its class default goes.
             "from jupyter_server.serverapp import ServerApp  # noqa: E402\n"
             "ServerApp.no_browser_open_file = True\n"
             # Language servers (jupyter_lsp; none is installed) and classic-notebook extension
             # support (notebook_shim) serve nothing here and cost the lab's start 0.1 s.
             "c.ServerApp.jpserver_extensions = {'jupyter_lsp': False, 'notebook_shim': False}\n"
             # An app's kernel under user-mode NAT reaches this lab at 10.0.2.2 (its presigned
             # URL says so): a Host its DNS-rebinding check would refuse, as it is no loopback.
             "import hosts  # noqa: E402\n"
             "hosts.allow_the_host_as_apps_reach_it()\n")
    if opts.tcp_nodelay:
        text += "import nodelay  # noqa: E402\nnodelay.apply()\n"
    write_private(folder / "jupyter_server_config.py", text)
    # Offline: no "get notified about Jupyter news?" prompt and no update check. Written once,
    # so what the user changes in the lab's settings editor stays.
    notification = (opts.state_dir / "lab-settings" / "@jupyterlab" / "apputils-extension"
                    / "notification.jupyterlab-settings")
    if not notification.exists():
        notification.parent.mkdir(parents=True, exist_ok=True)
        notification.write_text('{"fetchNews": "false", "checkForUpdates": false}\n')


def start_lab(opts: LabOptions, timeout: float) -> subprocess.Popen:
    proc = launch_lab(opts)
    wait_lab(proc, opts, timeout)
    return proc


def wait_lab(proc: subprocess.Popen, opts: LabOptions, timeout: float) -> None:
    try:
        _wait_ready(proc, opts, timeout)
    except BaseException:
        stop_lab(proc)
        raise


def launch_lab(opts: LabOptions) -> subprocess.Popen:
    """Starts JupyterLab without waiting for it (wait_lab does), so it can boot alongside the
    gateway: the gateway client contacts the gateway only when asked for kernels."""
    write_config(opts)
    log = open_private_log(opts.log_path)   # jupyter_server writes its token URL into it
    # Own session: the terminal's Ctrl-C reaches `invoke local`, which then stops the lab cleanly
    # (JupyterLab would otherwise ask for a y/n confirmation on SIGINT).
    return subprocess.Popen(lab_command(opts), env=lab_environment(opts), stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def _wait_ready(proc: subprocess.Popen, opts: LabOptions, timeout: float) -> None:
    import requests  # not before the lab is launched: its boot overlaps this import

    def answers():
        if proc.poll() is not None:
            show_tail(str(opts.log_path), opts.log_path.read_text(errors="replace").splitlines())
            raise UserError(f"JupyterLab exited with code {proc.returncode} before it was ready; "
                            f"see {opts.log_path}")
        status = requests.get(opts.url + APPS[JUPYTER_SERVER].ready_path(), timeout=2,
                              headers={"Authorization": f"token {opts.token}"}).status_code
        return status == 200 or NotYet(f"HTTP {status}")
    try:
        wait_until(answers, timeout=timeout, interval=0.05, what=f"JupyterLab to answer at {opts.url}",
                   hint="setting local.ready_timeout", retry_on=(requests.RequestException,))
    except WaitTimeout:
        show_tail(str(opts.log_path), opts.log_path.read_text(errors="replace").splitlines())
        raise


def stop_lab(proc: subprocess.Popen) -> None:
    # jupyter_server shuts its kernels down on SIGTERM
    processes.stop(proc, STOP_TIMEOUT, what="the local JupyterLab")


def config_dir(state_dir: Path) -> Path:
    """The lab's own config folder: also its mark, in its environment (JUPYTER_CONFIG_DIR)."""
    return state_dir / "jupyter-config"


def _is_lab(state_dir: Path) -> processes.Match:
    """A JupyterLab started for `state_dir`, known by its environment, so a recycled pid or
    another checkout's lab is never taken for ours."""
    mark = str(config_dir(state_dir))
    return lambda process: (any("jupyterlab" in arg for arg in process.cmdline())
                            and process.environ().get("JUPYTER_CONFIG_DIR") == mark)


def is_lab_of(pid: int, state_dir: Path) -> bool:
    """Whether `pid` is a running JupyterLab started for `state_dir`."""
    return processes.alive(pid, _is_lab(state_dir))


def labs_of(state_dir: Path) -> list[int]:
    """Every running lab started for `state_dir`, found without any record (one whose session was
    killed with SIGKILL left none)."""
    return processes.find(_is_lab(state_dir))


def stop_lab_pid(pid: int, state_dir: Path, timeout: float = STOP_TIMEOUT) -> None:
    """Stops a lab that is not our child: SIGTERM (it shuts its kernels down), then SIGKILL."""
    processes.stop(pid, timeout, what="the local JupyterLab", match=_is_lab(state_dir))
