"""The local AWS server process: moto plus the Studio API, SigV4 and persistence.

Run by control.py as `python -m studio_containers.localaws.server` (__main__.py calls main());
its settings come in environment variables so that no secret shows on a command line.

When the disk refuses a save (full, read-only), the change just made stays in memory and the file
keeps the last saved state; until a save succeeds again, every further change is refused with an
error naming the cause, so a client never gets more unsaved successes than that one.
"""
import json
import logging
import os
import signal
import sys
import threading
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs

from werkzeug.serving import make_server
from werkzeug.wsgi import get_input_stream

from ...settings import default
from .errors import error_response, protocol_of, status_line
from .persistence import StateNotSaved
from .sigv4 import SignatureError, only, same_text, verify

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Search", "Query")
EVENTS_PATH = "/_studio_containers/registry-events"
# Container credentials of the apps CreateApp starts (runtime/credentials_endpoint.py): on the
# local AWS's fixed port, so a running app keeps reaching them across restarts.
CREDENTIALS_PATH = "/_studio_containers/credentials"
# A full disk needs a person, not retries: SDKs retry any 5xx but 501 (botocore, and aws-sdk-go
# under Terraform's provider, for minutes), and no 400 but throttling codes. The registry, which
# should send its events again later, gets the 5xx.
UNSAVED_API_STATUS, UNSAVED_API_CODE = 400, "InsufficientStorage"
UNSAVED_STATUS = 507
log = logging.getLogger("studio_containers.localaws.server")


class LocalAwsApp:
    """WSGI: checks the signature, runs one request at a time, saves state after each change."""

    def __init__(self, moto_app, state, ecr, access_key_id: str, secret: str, events_token: str):
        self.moto_app = moto_app
        self.state = state
        self.ecr = ecr
        self.access_key_id = access_key_id
        self.secret = secret
        self.events_token = events_token
        self.lock = threading.Lock()
        self.credentials = None     # the apps' CredentialsIssuer, set with the apps launcher

    def __call__(self, environ, start_response):
        body = get_input_stream(environ).read()
        environ["wsgi.input"] = BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        path = environ.get("PATH_INFO", "/")
        if path == EVENTS_PATH:
            return self._registry_events(environ, body, start_response)
        if path == CREDENTIALS_PATH and self.credentials is not None:
            status, answer = self.credentials.answer(environ.get("HTTP_AUTHORIZATION", ""))
            return _reply(start_response, status, "application/json", json.dumps(answer).encode())
        if path.startswith("/moto-api"):
            # moto's dashboard and reset endpoint would bypass the signature and wipe state.
            return _reply(start_response, 404, "text/plain", b"not found")
        try:
            verify(environ, body, self._keys)
        except SignatureError as exc:
            log.warning("refused %s %s: %s", environ["REQUEST_METHOD"], path, exc.code)
            return _auth_error(environ, start_response, exc)
        mutating = _mutates(environ, body)
        with self.lock:
            refusal = mutating and self._catch_up()
            if refusal:
                return _aws_error(environ, start_response, UNSAVED_API_STATUS, UNSAVED_API_CODE,
                                  refusal)
            chunks = []
            captured = {}

            def capture(status, headers, exc_info=None):
                captured["status"], captured["headers"] = status, headers
                return chunks.append

            result = self.moto_app(environ, capture)
            try:
                chunks.extend(result)
            finally:
                getattr(result, "close", lambda: None)()
            # A refused request changed nothing; saving after it would still write the empty
            # backends moto makes on first use.
            refused = int(captured["status"].split(" ", 1)[0]) >= 400
            if not refused and mutating:
                self.save(_action(environ, body))
        start_response(captured["status"], captured["headers"])
        return chunks

    def assume_role(self, role_arn: str, session: str, seconds: int) -> dict:
        """AssumeRole in process (the credentials path is answered inside a request)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.core.utils import utcnow
        from moto.sts.models import sts_backends

        with self.lock:
            backend = sts_backends[DEFAULT_ACCOUNT_ID]["aws"]
            # Expired sessions go, or the saved state and each lookup of a key would grow with
            # every refresh of every app's credentials.
            now = utcnow()
            backend.assumed_roles = [r for r in backend.assumed_roles if r.expiration > now]
            role = backend.assume_role(
                region_name=os.environ.get("AWS_DEFAULT_REGION") or default("aws.region"),
                role_session_name=session, role_arn=role_arn, policy="", duration=seconds,
                external_id="")
            self.save("an app's credentials")
        return {"AccessKeyId": role.access_key_id, "SecretAccessKey": role.secret_access_key,
                "SessionToken": role.session_token, "Expiration": role.expiration}

    def _keys(self, key: str) -> tuple[str, str | None] | None:
        """Our own key, or a temporary key our STS issued (AssumeRole) that has not expired."""
        if only(self.access_key_id, self.secret)(key):
            return self.secret, None
        with self.lock:     # moto's backends are not read while a request changes them
            return issued_key(key)

    def save(self, after: str = "an app's new status") -> None:
        """Saves the state (under the lock); a refused write is logged, never raised: what
        happened (a request answered, an app started) stays true in memory either way."""
        try:
            if self.state.save():
                log.info("state saved after %s", after)
        except StateNotSaved as exc:
            log.error("%s; the changes since (the last: %s) are in memory only, and further "
                      "changes are refused until a save succeeds", exc, after)

    def _catch_up(self) -> str | None:
        """Before a change: writes what a refused save left in memory; why it cannot, or None."""
        if not self.state.behind:
            return None
        try:
            self.state.save()
        except StateNotSaved as exc:
            log.warning("change refused: %s", exc)
            return f"The local AWS takes no changes until it can save its state: {exc}."
        log.info("state saved again; changes are taken again")
        return None

    def _registry_events(self, environ, body, start_response):
        given = environ.get("HTTP_AUTHORIZATION", "")
        if not same_text(given, f"Bearer {self.events_token}"):
            return _reply(start_response, 401, "text/plain", b"unauthorized")
        with self.lock:
            refusal = self._catch_up()
            if refusal:     # the registry sends the events again later
                return _reply(start_response, UNSAVED_STATUS, "text/plain", refusal.encode())
            try:
                if self.ecr.record_events(body):
                    self.save("a registry event")
            except Exception:  # noqa: BLE001 - the registry retries; the reason goes to the log
                log.exception("registry event not recorded")
                return _reply(start_response, 500, "text/plain", b"error")
        return _reply(start_response, 200, "text/plain", b"ok")


def _action(environ, body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    params = parse_qs(environ.get("QUERY_STRING", ""))
    if "application/x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        params.update(parse_qs(body.decode(errors="replace")))
    return (params.get("Action") or [environ["REQUEST_METHOD"]])[0]


def _mutates(environ, body: bytes) -> bool:
    if environ["REQUEST_METHOD"] in ("GET", "HEAD", "OPTIONS"):
        return False
    return not _action(environ, body).startswith(READ_PREFIXES)


def issued_key(key: str) -> tuple[str, str] | None:
    from moto.core.utils import utcnow
    from moto.sts.models import sts_backends

    for account in list(sts_backends):
        for backend in list(sts_backends[account].values()):
            role = backend.get_assumed_role_from_access_key(key)
            if role is not None and role.expiration > utcnow():
                return role.secret_access_key, role.session_token
    return None


def _reply(start_response, status: int, content_type: str, body: bytes, headers=None):
    start_response(status_line(status), [("Content-Type", content_type), *(headers or {}).items(),
                                         ("Content-Length", str(len(body)))])
    return [body]


def _auth_error(environ, start_response, exc):
    return _aws_error(environ, start_response, 403, exc.code, str(exc))


def _aws_error(environ, start_response, status: int, code: str, message: str):
    """An error as the request's protocol words it: JSON for the JSON APIs, XML for the rest."""
    status, headers, body = error_response(protocol_of(environ.get("CONTENT_TYPE", "")), code,
                                           message, status)
    return _reply(start_response, status, headers.pop("Content-Type"), body, headers)


def _apps_launcher(app: LocalAwsApp, env):
    """CreateApp's launcher, with the credentials it hands the apps."""
    from ...ports import HOST
    from ...runtime.credentials_endpoint import CredentialsIssuer
    from ...settings import Settings
    from ..apps.launcher import AppLauncher

    settings = Settings.loads(env["LOCALAWS_SETTINGS"])
    url = f"http://{HOST}:{env['LOCALAWS_PORT']}"
    app.credentials = CredentialsIssuer(app.assume_role, url, env["LOCALAWS_REGION"])
    return AppLauncher(settings, app.lock, app.save, env["LOCALAWS_SECRET_ACCESS_KEY"],
                       env["LOCALAWS_REGISTRY_PASSWORD"], credentials=app.credentials,
                       credentials_url=url + CREDENTIALS_PATH)


def _start_apps(app: LocalAwsApp, launcher) -> None:
    """Apps that ran before this start are found again (or marked gone), then watched."""
    with app.lock:
        launcher.reconcile(launcher.apps())
        app.save("the apps' check at start")
    launcher.watch()


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    env = os.environ
    host, port = env["LOCALAWS_HOST"], int(env["LOCALAWS_PORT"])
    region = env["LOCALAWS_REGION"]
    # Stop moto from looking for real AWS settings of the user running it.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
                 "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(name, None)
    env["AWS_DEFAULT_REGION"] = region

    # moto reads its settings from the environment when imported, so only now that it is set.
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    from ..ecr.local import LocalEcr
    from . import patches
    from .persistence import CorruptState, StateFile

    ecr = LocalEcr(DEFAULT_ACCOUNT_ID, region, env["LOCALAWS_REGISTRY_HOST"],
                   env["LOCALAWS_REGISTRY_PASSWORD"])
    state = StateFile(Path(env["LOCALAWS_STATE_FILE"]))
    try:
        restored = state.load()
    except CorruptState as exc:
        print(f"error: {exc}. Move it away to start with an empty local AWS.", file=sys.stderr,
              flush=True)
        return 2
    log.info("restored %d backend(s) from %s", restored, state.path)
    app = LocalAwsApp(DomainDispatcherApplication(create_backend_app), state, ecr,
                      env["LOCALAWS_ACCESS_KEY_ID"], env["LOCALAWS_SECRET_ACCESS_KEY"],
                      env["LOCALAWS_EVENTS_TOKEN"])
    launcher = _apps_launcher(app, env)
    # Every patch of moto at once, before the first request (the launcher needs the app's lock).
    patches.install(patches.Context(resolve_image=ecr.resolve, ecr=ecr, launcher=launcher))
    _start_apps(app, launcher)
    try:
        server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr, flush=True)
        return 2

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("listening on http://%s:%d (region %s)", host, port, region)
    server.serve_forever()
    with app.lock:
        saved = final_save(state)
    log.info("stopped")
    return 0 if saved else 1


def final_save(state) -> bool:
    """The save at the stop; a refused one is said, as the changes since the last save are lost."""
    try:
        state.save()
    except StateNotSaved as exc:
        log.error("%s; the changes made since it are lost", exc)
        return False
    return True

