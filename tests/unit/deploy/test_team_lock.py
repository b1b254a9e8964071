"""Team locks against moto's DynamoDB: one holder at a time, a waiter told who holds it, a held
lock renewed, a died run's lock taken over, and a release that never deletes someone else's."""
import json
import threading
import time
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from studio_containers import wait
from studio_containers.deploy import team_lock as locks
from studio_containers.errors import UserError

TABLE = "team-locks"
KEY = {"LockID": {"S": locks.PREFIX + "domain/d-1"}}


@pytest.fixture
def dynamodb(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}])
        yield client


def holder(dynamodb) -> dict | None:
    item = dynamodb.get_item(TableName=TABLE, Key=KEY).get("Item")
    return json.loads(item["Info"]["S"]) if item else None


def test_the_lock_is_held_inside_and_released_after(dynamodb):
    with locks.domain_lock(dynamodb, TABLE, "d-1", "team-a", timeout=5):
        assert holder(dynamodb)["Stack"] == "team-a"
        assert holder(dynamodb)["Who"] == locks.who()
    assert holder(dynamodb) is None


def test_a_second_run_waits_for_the_first(dynamodb, capsys):
    order = []

    def first():
        with locks.domain_lock(dynamodb, TABLE, "d-1", "team-a", timeout=5):
            order.append("a in")
            time.sleep(1.5)
            order.append("a out")
    thread = threading.Thread(target=first)
    thread.start()
    while not order:
        time.sleep(0.05)
    with locks.domain_lock(dynamodb, TABLE, "d-1", "team-b", timeout=10):
        order.append("b in")
    thread.join()
    assert order == ["a in", "a out", "b in"]
    assert "Waiting for domain d-1:" in capsys.readouterr().out


def test_a_run_that_waits_too_long_says_who_holds_the_lock(dynamodb):
    with locks.domain_lock(dynamodb, TABLE, "d-1", "team-a", timeout=5):
        with pytest.raises(UserError, match=rf"domain d-1: another run is changing its image lists "
                                            rf"\({locks.who()} \(stack team-a, since .*\)\); waited 1s "
                                            rf"\(deploy.lock_timeout\).*LockID={KEY['LockID']['S']}"):
            with locks.domain_lock(dynamodb, TABLE, "d-1", "team-b", timeout=1):
                pass
        assert holder(dynamodb)["Stack"] == "team-a"     # the loser deleted nothing


def test_a_died_runs_lock_is_taken_over(dynamodb):
    old = (datetime.now(timezone.utc) - timedelta(seconds=locks.STALE_AFTER + 5)).isoformat()
    died = json.dumps({"ID": "x", "Who": "bob@laptop", "Stack": "team-b", "Created": old,
                       "Renewed": old})
    dynamodb.put_item(TableName=TABLE, Item={**KEY, "Info": {"S": died}})
    with locks.domain_lock(dynamodb, TABLE, "d-1", "team-a", timeout=2):
        assert holder(dynamodb)["Stack"] == "team-a"
    assert holder(dynamodb) is None


def test_an_unreadable_lock_is_never_taken_over(dynamodb):
    dynamodb.put_item(TableName=TABLE, Item={**KEY, "Info": {"S": "not json"}})
    with pytest.raises(UserError, match="someone"):
        with locks.domain_lock(dynamodb, TABLE, "d-1", "team-a", timeout=1):
            pass


def test_without_a_table_there_is_nothing_to_hold():
    with locks.domain_lock(None, "", "d-1", "team-a", timeout=1):
        pass


def test_a_held_lock_is_renewed_so_a_long_run_is_not_taken_for_dead(dynamodb, monkeypatch):
    monkeypatch.setattr(locks, "RENEW_EVERY", 0.2)
    with locks.domain_lock(dynamodb, TABLE, "d-1", "team-a", timeout=5):
        first = holder(dynamodb)["Renewed"]
        time.sleep(1.5)         # Renewed has a resolution of one second
        assert holder(dynamodb)["Renewed"] > first
        assert holder(dynamodb)["Created"] <= first
    assert holder(dynamodb) is None      # released after renewals


def test_a_stack_lock_names_the_state_and_is_apart_from_the_domains(dynamodb):
    with locks.stack_lock(dynamodb, TABLE, "team-state/a.tfstate", "team-a", timeout=5):
        with locks.domain_lock(dynamodb, TABLE, "d-1", "team-b", timeout=1):
            pass
        with pytest.raises(UserError, match=r"stack team-a \(state team-state/a.tfstate\): another "
                                            r"run is deploying it"):
            with locks.stack_lock(dynamodb, TABLE, "team-state/a.tfstate", "team-a", timeout=1):
                pass


class FakeClock:
    """Wall-clock time that moves by `step` each time a waiter tries the lock."""

    def __init__(self):
        self.now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


def test_a_lock_won_after_a_long_wait_is_fresh_so_the_next_waiter_does_not_take_it(dynamodb,
                                                                                    monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(locks, "_clock", clock)
    monkeypatch.setattr(wait.time, "sleep", lambda s: setattr(clock, "now", clock.now
                                                               + timedelta(seconds=100)))
    first = locks._Lock(dynamodb, TABLE, KEY, {"Who": "a", "Stack": "a", "Created": "x"})
    first.acquire(timeout=5, what="w", doing="d")           # then dies: never renewed
    second = locks._Lock(dynamodb, TABLE, KEY, {"Who": "b", "Stack": "b", "Created": "x"})
    second.acquire(timeout=3600, what="w", doing="d")        # waits until a's is stale
    assert holder(dynamodb)["Who"] == "b"
    third = locks._Lock(dynamodb, TABLE, KEY, {"Who": "c", "Stack": "c", "Created": "x"})
    with pytest.raises(UserError, match="another run is d"):
        third.acquire(timeout=0, what="w", doing="d")         # b's lock is fresh: not taken
    assert holder(dynamodb)["Who"] == "b"
    assert not first.renew()                                  # a, were it alive, knows
    first.release()
    assert holder(dynamodb)["Who"] == "b"                     # and deletes nothing of b's


class Throttled:
    """A DynamoDB client whose first renewal is throttled."""

    def __init__(self, client):
        self.client, self.throttled = client, False

    def __getattr__(self, name):
        return getattr(self.client, name)

    def put_item(self, **kwargs):
        if "#owner" in kwargs.get("ConditionExpression", "") and not self.throttled:
            self.throttled = True
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                              "PutItem")
        return self.client.put_item(**kwargs)


def test_a_throttled_renewal_is_retried_and_the_lock_kept(dynamodb, monkeypatch, capsys):
    monkeypatch.setattr(locks, "RENEW_EVERY", 0.2)
    throttled = Throttled(dynamodb)
    with locks.domain_lock(throttled, TABLE, "d-1", "team-a", timeout=5):
        time.sleep(1.5)
        assert holder(dynamodb)["Stack"] == "team-a"
    assert throttled.throttled
    assert "could not renew its lock" in capsys.readouterr().err
    assert holder(dynamodb) is None


def test_who_has_a_name_without_a_user_name(monkeypatch):
    def no_user():
        raise KeyError("getpwuid(): uid not found: 4242")
    monkeypatch.setattr(locks.getpass, "getuser", no_user)
    assert locks.who().startswith("uid ")
