"""Runs on several machines take turns, through items of the team's DynamoDB lock table.

With a shared backend (deploy.backend with dynamodb_table, the table Terraform locks its state
with), two kinds of turns are kept:
- a stack: a whole `up`/`down`/`rollback` of one state, because what is decided before Terraform
  runs (which existing resources are this stack's, what to import) reads that state, and
  Terraform's own lock covers only each Terraform command;
- a domain: the read-merge-write of its custom image lists (UpdateDomain replaces a whole list,
  so two stacks writing at once would drop each other's image). It is held for seconds.
A holder renews its item every RENEW_EVERY seconds; one not renewed for STALE_AFTER was left by
a run that died (SIGKILL, a lost machine), and is taken over.
"""
import contextlib
import getpass
import json
import random
import socket
import threading
import time
import uuid
from datetime import datetime, timezone

from botocore.exceptions import ClientError

from ..console import say
from ..errors import UserError

PREFIX = "studio-containers/"
RENEW_EVERY = 30.0
STALE_AFTER = 300.0


def who() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def domain_lock(dynamodb, table: str, domain_id: str, stack: str, timeout: float):
    return held(dynamodb, table, f"domain/{domain_id}", stack, timeout,
                f"domain {domain_id}", "changing its image lists")


def stack_lock(dynamodb, table: str, state: str, stack: str, timeout: float):
    return held(dynamodb, table, f"stack/{state}", stack, timeout,
                f"stack {stack} (state {state})", "deploying it")


@contextlib.contextmanager
def held(dynamodb, table: str, name: str, stack: str, timeout: float, what: str, doing: str):
    """Holds the lock item PREFIX+name in `table` (nothing to hold when there is no table)."""
    if not table:
        yield
        return
    key = {"LockID": {"S": PREFIX + name}}
    lock = {"ID": str(uuid.uuid4()), "Who": who(), "Stack": stack, "Created": _now()}
    mine = json.dumps({**lock, "Renewed": lock["Created"]})
    _acquire(dynamodb, table, key, mine, timeout, what, doing)
    renewer = _Renewer(dynamodb, table, key, lock, mine)
    renewer.start()
    try:
        yield
    finally:
        mine = renewer.stop()
        try:
            dynamodb.delete_item(TableName=table, Key=key, ConditionExpression="Info = :mine",
                                 ExpressionAttributeValues={":mine": {"S": mine}})
        except ClientError:
            pass    # taken over as stale: it is someone else's now


class _Renewer(threading.Thread):
    """Refreshes the item's Renewed time while the lock is held (conditionally: never over
    someone else's)."""

    def __init__(self, dynamodb, table: str, key: dict, lock: dict, mine: str):
        super().__init__(daemon=True)
        self.dynamodb, self.table, self.key, self.lock, self.mine = dynamodb, table, key, lock, mine
        self.stopped = threading.Event()
        self.guard = threading.Lock()

    def run(self):
        while not self.stopped.wait(RENEW_EVERY):
            renewed = json.dumps({**self.lock, "Renewed": _now()})
            with self.guard:
                if self.stopped.is_set():
                    return
                if not _replace(self.dynamodb, self.table, self.key, self.mine, renewed):
                    return          # taken over: ours no more
                self.mine = renewed

    def stop(self) -> str:
        with self.guard:
            self.stopped.set()
            return self.mine


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _acquire(dynamodb, table: str, key: dict, mine: str, timeout: float, what: str,
             doing: str) -> None:
    deadline = time.monotonic() + timeout
    said = False
    while True:
        holder = _try_put(dynamodb, table, key, mine)
        if holder is None:
            return
        info = _parsed(holder)
        if _age(info) > STALE_AFTER and _replace(dynamodb, table, key, holder, mine):
            say(f"{what[0].upper()}{what[1:]}: took over the lock {_describe(info)} left (older "
                f"than {STALE_AFTER:.0f}s: that run died)")
            return
        if time.monotonic() >= deadline:
            raise UserError(f"{what}: another run is {doing} ({_describe(info)}); waited "
                            f"{timeout:.0f}s (deploy.lock_timeout). If that run died, its lock "
                            f"is taken over {STALE_AFTER:.0f}s after its last renewal, or delete "
                            f"the item LockID={key['LockID']['S']} from the DynamoDB table {table}")
        if not said:
            say(f"Waiting for {what}: {_describe(info)} is {doing}")
            said = True
        time.sleep(0.5 + random.random())


def _try_put(dynamodb, table: str, key: dict, mine: str) -> str | None:
    """None when the lock is ours now, else the holder's Info."""
    try:
        dynamodb.put_item(TableName=table, Item={**key, "Info": {"S": mine}},
                          ConditionExpression="attribute_not_exists(LockID)")
        return None
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise UserError(f"deploy.backend.dynamodb_table {table}: could not take a lock: "
                            f"{exc.response['Error']['Message']}") from None
    item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") or {}
    return item.get("Info", {}).get("S", "{}")


def _replace(dynamodb, table: str, key: dict, old: str, new: str) -> bool:
    try:
        dynamodb.put_item(TableName=table, Item={**key, "Info": {"S": new}},
                          ConditionExpression="Info = :old",
                          ExpressionAttributeValues={":old": {"S": old}})
        return True
    except ClientError:
        return False


def _parsed(info: str) -> dict:
    try:
        value = json.loads(info)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _age(info: dict) -> float:
    try:
        renewed = datetime.fromisoformat(info["Renewed"])
        return (datetime.now(timezone.utc) - renewed).total_seconds()
    except (KeyError, TypeError, ValueError):
        return 0.0      # an item we cannot read is never stale: it is not ours to take


def _describe(info: dict) -> str:
    return (f"{info.get('Who', 'someone')} (stack {info.get('Stack', '?')}, since "
            f"{info.get('Created', '?')})")
