"""The launcher's life cycle of an app, with its container work replaced by a stand-in that
records what it was asked: Pending → InService or Failed, a delete while starting, what a failed
start leaves is removed, and what a restart finds."""
import threading
from datetime import timedelta

import pytest

from studio_containers.errors import UserError
from studio_containers.localaws.apps import launcher as apps_launcher
from studio_containers.localaws.apps.launcher import AppLauncher, instance
from studio_containers.localaws.apps.models import App
from studio_containers.wait import wait_until
from tests.helpers import project_settings

ARN = "arn:aws:sagemaker:us-east-1:123456789012:app/d-1/ana/kernelgateway/"


class StandIn(AppLauncher):
    """Starts nothing: a launch waits for `release`, then succeeds or raises `fail`."""

    def __init__(self, tmp_path):
        self.saves = []
        super().__init__(project_settings(state_dir=str(tmp_path)), threading.Lock(),
                         lambda: self.saves.append(1), "server-secret", "registry-password")
        self.release, self.fail, self.removed, self.running = threading.Event(), None, [], set()

    def _launch_gateway(self, app):
        self.release.wait(10)
        if self.fail:
            raise self.fail
        return {"container": "c", "port": 1}

    def _remove(self, app):
        self.removed.append(instance(app))
        self.status_at_removal = app.status

    def _running(self, app):
        return instance(app) in self.running


def an_app(name="kg", **changes) -> App:
    return App(**{"domain_id": "d-1", "owner_kind": "UserProfileName", "owner": "ana",
                  "app_type": "KernelGateway", "name": name, "arn": ARN + name,
                  "resource_spec": {}, "tags": [], **changes})


def settles(app, status) -> bool:
    return wait_until(lambda: app.status == status, timeout=10, what=f"status {status}")


@pytest.fixture
def launcher(tmp_path):
    return StandIn(tmp_path)


def test_a_launch_is_pending_then_in_service_with_where_it_runs(launcher):
    app = an_app()
    launcher.launch(app)
    assert app.status == "Pending"
    launcher.release.set()
    settles(app, "InService")
    assert app.runtime == {"container": "c", "port": 1} and launcher.removed == []
    assert launcher.saves


def test_a_failed_launch_says_why_and_leaves_nothing(launcher):
    app = an_app()
    launcher.fail = UserError("SageMaker is unable to launch the app using the image [x]")
    launcher.launch(app)
    launcher.release.set()
    settles(app, "Failed")
    assert app.failure_reason.startswith("SageMaker is unable to launch")
    assert launcher.removed == [instance(app)]


def test_a_delete_while_starting_waits_for_the_start_then_removes_it(launcher):
    app = an_app()
    launcher.launch(app)
    launcher.stop(app)
    assert app.status == "Deleting" and launcher.removed == []     # nothing to remove yet
    launcher.release.set()
    settles(app, "Deleted")
    assert launcher.removed == [instance(app)]


def test_an_app_created_again_is_another_instance_with_other_tokens(launcher):
    first = an_app()
    again = an_app(creation_time=first.creation_time + timedelta(seconds=1))
    assert instance(first) != instance(again)
    assert launcher.token(first, "gateway") != launcher.token(again, "gateway")
    assert "server-secret" not in launcher.token(first, "gateway")


def test_a_restart_keeps_what_runs_and_fails_what_is_gone_or_was_starting(launcher):
    running, gone, starting = an_app(status="InService", name="a"), \
        an_app(status="InService", name="b"), an_app(status="Pending", name="c")
    deleting = an_app(status="Deleting", name="d")
    launcher.running = {instance(running)}
    launcher.reconcile([running, gone, starting, deleting])
    assert running.status == "InService"
    assert gone.status == "Failed" and "container or process is gone" in gone.failure_reason
    assert starting.status == "Failed" and "stopped while the app was starting" in \
        starting.failure_reason
    settles(deleting, "Deleted")
    assert sorted(launcher.removed) == sorted(instance(a) for a in (gone, starting, deleting))


def test_an_app_that_stops_on_its_own_is_noticed_failed_and_cleaned(launcher, monkeypatch):
    monkeypatch.setattr(apps_launcher, "connect", lambda: object())     # an engine that answers
    app = an_app()
    launcher.launch(app)
    launcher.release.set()
    settles(app, "InService")
    launcher.running = {instance(app)}
    launcher._exit = lambda app: " (exit code 137)"
    launcher.apps = lambda: [app]
    launcher.watch(interval=0.05)
    launcher.running = set()                    # killed, out of memory, exited
    settles(app, "Failed")
    assert app.failure_reason == "InternalFailure: the app stopped on its own (exit code 137)"
    assert launcher.removed == [instance(app)]
    assert launcher.status_at_removal == "InService"     # removed before anyone sees Failed


def test_a_kernel_gateway_app_gets_its_owners_role_again_after_a_restart(tmp_path, monkeypatch):
    from studio_containers.runtime.credentials_endpoint import CredentialsIssuer

    asked = []
    issuer = CredentialsIssuer(lambda role, session, seconds: asked.append(role) or {
        "AccessKeyId": "ASIA1", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "x"},
        "http://127.0.0.1:5566", "us-east-1")
    launcher = AppLauncher(project_settings(state_dir=str(tmp_path)), threading.Lock(),
                           lambda: None, "server-secret", "registry-password",
                           credentials=issuer, credentials_url="http://127.0.0.1:5566/creds")
    app = an_app(status="InService", runtime={"execution_role": "arn:aws:iam::1:role/ana"})
    given = launcher._aws(app)
    token = given["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    assert given["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "http://127.0.0.1:5566/creds"
    assert token == launcher.token(app, "credentials")         # derived: the same after a restart

    restarted = CredentialsIssuer(issuer.assume_role, "http://127.0.0.1:5566", "us-east-1")
    launcher.credentials = restarted
    assert restarted.answer(token)[0] == 401
    monkeypatch.setattr(launcher, "_running", lambda a: True)     # its container still runs
    launcher.reconcile([app])
    assert restarted.answer(token)[0] == 200 and asked == ["arn:aws:iam::1:role/ana"]
    monkeypatch.setattr(apps_launcher, "connect", lambda: None)   # no engine: only our side
    launcher._remove(app)
    assert restarted.answer(token)[0] == 401
