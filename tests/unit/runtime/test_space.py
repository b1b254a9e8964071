"""When a space counts as serving, against a real HTTP app on 127.0.0.1 standing in for the
container's port: which base paths are Studio's, a login page or 403 is a demanded token, an
exited app is said at once, a wrong path times out with what was seen."""
import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from studio_containers.errors import UserError
from studio_containers.runtime.space import space_container, wait_serving
from studio_containers.wait import WaitTimeout
from tests.helpers import made_up_spec

CODE_EDITOR = made_up_spec(name="ce", app_type="CodeEditor", kernels=())
JUPYTER_LAB = made_up_spec(name="lab", app_type="JupyterLab", kernels=())


@dataclass
class App:
    """path → (status, Location header or None); anything else answers 404."""
    routes: dict = field(default_factory=dict)
    asked: list = field(default_factory=list)


@pytest.fixture
def app():
    state = App()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            state.asked.append(self.path)
            status, location = state.routes.get(self.path, (404, None))
            if isinstance(status, list):                     # answers in turn, the last one stays
                status = status.pop(0) if len(status) > 1 else status[0]
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.port = server.server_address[1]
    yield state
    server.shutdown()


class Container:
    """What wait_serving reads of a docker container: its status, its exit code and its logs."""

    def __init__(self, status="running", code=0):
        self.status, self.attrs = status, {"State": {"ExitCode": code}}

    def reload(self):
        pass

    def logs(self, **_):
        return b"config file not found\n"


def sc_for(spec, app):
    return space_container(spec, "img", Path("/tmp/home"), app.port, Path("/tmp/state"), "us-east-1",
                           name="test")


def test_code_editor_answers_on_either_spelling_of_its_base_path(app):
    app.routes["/codeeditor/default/"] = (200, None)          # as aws/sagemaker-distribution serves
    sc = sc_for(CODE_EDITOR, app)
    assert sc.base_paths == ("/CodeEditor/default", "/codeeditor/default")
    assert wait_serving(Container(), sc, CODE_EDITOR, timeout=5, hint="") == "/codeeditor/default"


def test_the_own_spelling_wins_when_the_app_comes_up_between_two_probes(app):
    # One round: the proxy answers 502 at /CodeEditor/default/, code-server comes up, and the
    # next spelling answers 200. The container's own path is the one it serves.
    app.routes["/CodeEditor/default/"] = ([502, 200], None)
    app.routes["/codeeditor/default/"] = (200, None)
    assert wait_serving(Container(), sc_for(CODE_EDITOR, app), CODE_EDITOR, timeout=5,
                        hint="") == "/CodeEditor/default"


def test_jupyterlab_is_ready_on_studios_health_check_only(app):
    app.routes["/jupyterlab/default/api/status"] = (200, None)
    sc = sc_for(JUPYTER_LAB, app)
    assert sc.base_paths == ("/jupyterlab/default",)
    assert wait_serving(Container(), sc, JUPYTER_LAB, timeout=5, hint="") == "/jupyterlab/default"
    assert app.asked == ["/jupyterlab/default/api/status"]


@pytest.mark.parametrize("status, location", [(302, "./login?to=%2F"), (403, None), (401, None)])
def test_a_login_page_or_a_refusal_is_a_demanded_token(app, status, location):
    app.routes["/CodeEditor/default/"] = (status, location)
    with pytest.raises(UserError, match=f"/CodeEditor/default/ answered {status}.*demands a token "
                                        "or password.*--without-connection-token"):
        wait_serving(Container(), sc_for(CODE_EDITOR, app), CODE_EDITOR, timeout=5, hint="")


def test_a_login_page_on_the_other_spelling_while_the_first_is_still_starting(app):
    app.routes["/CodeEditor/default/"] = (502, None)          # the in-image proxy, app not up yet
    app.routes["/codeeditor/default/"] = (302, "./login")
    with pytest.raises(UserError, match="/codeeditor/default/ answered 302 \\(to ./login\\).*demands"):
        wait_serving(Container(), sc_for(CODE_EDITOR, app), CODE_EDITOR, timeout=5, hint="")


def test_a_redirect_elsewhere_is_serving(app):
    app.routes["/CodeEditor/default/"] = (302, "./?folder=/home/sagemaker-user")
    assert wait_serving(Container(), sc_for(CODE_EDITOR, app), CODE_EDITOR, timeout=5,
                        hint="") == "/CodeEditor/default"


def test_an_exited_app_is_said_at_once_with_its_code(app, capsys):
    with pytest.raises(UserError, match="exited with code 3 before it served /jupyterlab/default"):
        wait_serving(Container("exited", 3), sc_for(JUPYTER_LAB, app), JUPYTER_LAB, timeout=30,
                     hint="")
    assert "config file not found" in capsys.readouterr().err


def test_a_wrong_path_times_out_naming_what_answered(app):
    app.routes["/"] = (200, None)                              # served at / instead
    with pytest.raises(WaitTimeout, match=r"ce to serve /CodeEditor/default on port 8888 "
                                          r"\(last seen: HTTP 404 at /CodeEditor/default/, "
                                          r"HTTP 404 at /codeeditor/default/, but / answers: the "
                                          r"app serves the root, not Studio's base path\)"):
        wait_serving(Container(), sc_for(CODE_EDITOR, app), CODE_EDITOR, timeout=0.5, hint="")
