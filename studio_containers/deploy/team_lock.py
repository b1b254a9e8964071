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
import os
import random
import socket
import sys
import threading
import uuid
from datetime import datetime, timezone

from botocore.exceptions import BotoCoreError, ClientError

from ..console import say, to_terminal, warn
from ..errors import UserError
from ..wait import NotYet, WaitTimeout, wait_until

PREFIX = "studio-containers/"
RENEW_EVERY = 30.0
STALE_AFTER = 300.0


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):     # no USER variable and no passwd entry (a container's uid)
        user = f"uid {os.getuid()}"
    return f"{user}@{socket.gethostname()}"


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
    lock = _Lock(dynamodb, table, {"LockID": {"S": PREFIX + name}},
                 {"Who": who(), "Stack": stack, "Created": _now()})
    lock.acquire(timeout, what, doing)
    # Taken now: while Terraform runs, sys.stderr is its output pipe (runner.py).
    renewer = _Renewer(lock, sys.stderr, what)
    renewer.start()
    try:
        yield
    finally:
        renewer.stop()
        lock.release()


class _Lock:
    """One lock item: LockID, Owner (this run's id, what every write of ours is conditioned on)
    and Info (JSON: who, stack, since, last renewed; what a waiter is shown)."""

    def __init__(self, dynamodb, table: str, key: dict, info: dict):
        self.dynamodb, self.table, self.key, self.info = dynamodb, table, key, info
        self.owner = str(uuid.uuid4())

    def _item(self) -> dict:
        # Renewed now, also on each attempt to acquire: a lock won after a long wait is fresh.
        info = json.dumps({**self.info, "Renewed": _now()})
        return {**self.key, "Owner": {"S": self.owner}, "Info": {"S": info}}

    def acquire(self, timeout: float, what: str, doing: str) -> None:
        said = False

        def won() -> bool | NotYet:
            nonlocal said
            holder = self._try_put()
            if holder is None:
                return True
            info = _parsed(holder)
            if _age(info) > STALE_AFTER and self._take_over(holder):
                say(f"{what[0].upper()}{what[1:]}: took over the lock {_describe(info)} left "
                    f"(not renewed for {STALE_AFTER:.0f}s: that run died)")
                return True
            if not said and timeout > 0:
                say(f"Waiting for {what}: {_describe(info)} is {doing}")
                said = True
            return NotYet(_describe(info))
        try:
            # A random pause: waiters on several machines do not keep trying at the same moment.
            wait_until(won, timeout=timeout, what=what, interval=lambda: 0.5 + random.random())
        except WaitTimeout as exc:
            raise UserError(f"{what}: another run is {doing} ({exc.seen}); waited "
                            f"{timeout:.0f}s (deploy.lock_timeout). If that run died, its lock "
                            f"is taken over {STALE_AFTER:.0f}s after its last renewal, or "
                            f"delete the item LockID={self.key['LockID']['S']} from the "
                            f"DynamoDB table {self.table}") from None

    def _try_put(self) -> str | None:
        """None when the lock is ours now, else the holder's Info."""
        try:
            self.dynamodb.put_item(TableName=self.table, Item=self._item(),
                                   ConditionExpression="attribute_not_exists(LockID)")
            return None
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise UserError(f"deploy.backend.dynamodb_table {self.table}: could not take a "
                                f"lock: {exc.response['Error']['Message']}") from None
        item = self.dynamodb.get_item(TableName=self.table, Key=self.key,
                                      ConsistentRead=True).get("Item") or {}
        return item.get("Info", {}).get("S", "{}")

    def _take_over(self, holder: str) -> bool:
        # Only the stale item we saw: a renewal or release since then wins.
        return self._conditional_put("Info = :seen", {":seen": {"S": holder}})

    def renew(self) -> bool:
        """False when the lock is no longer ours; raises on any other failure (to retry)."""
        return self._conditional_put("#owner = :me", {":me": {"S": self.owner}})

    def _conditional_put(self, condition: str, values: dict) -> bool:
        names = {"#owner": "Owner"} if "#owner" in condition else {}
        try:
            self.dynamodb.put_item(TableName=self.table, Item=self._item(),
                                   ConditionExpression=condition,
                                   ExpressionAttributeValues=values,
                                   **({"ExpressionAttributeNames": names} if names else {}))
            return True
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise

    def release(self) -> None:
        try:
            self.dynamodb.delete_item(TableName=self.table, Key=self.key,
                                      ConditionExpression="#owner = :me",
                                      ExpressionAttributeNames={"#owner": "Owner"},
                                      ExpressionAttributeValues={":me": {"S": self.owner}})
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                warn(f"could not release the lock {self.key['LockID']['S']} in {self.table} "
                     f"({exc.response['Error']['Message']}); it is taken over when stale")
        except BotoCoreError as exc:
            warn(f"could not release the lock {self.key['LockID']['S']} in {self.table} ({exc}); "
                 "it is taken over when stale")


class _Renewer(threading.Thread):
    """Renews the lock while it is held. A failed renewal (throttling, a restarting endpoint)
    is retried at the next beat; a lock taken over is said once, on the terminal."""

    def __init__(self, lock: _Lock, terminal, what: str):
        super().__init__(daemon=True)
        self.lock, self.terminal, self.what = lock, terminal, what
        self.stopped = threading.Event()
        self.guard = threading.Lock()

    def run(self):
        with to_terminal(self.terminal):
            while not self.stopped.wait(RENEW_EVERY):     # periodic work until stopped: no deadline
                with self.guard:
                    if self.stopped.is_set():
                        return
                    try:
                        still_ours = self.lock.renew()
                    except (ClientError, BotoCoreError) as exc:
                        warn(f"{self.what}: could not renew its lock ({exc}); trying again")
                        continue
                if not still_ours:
                    warn(f"{self.what}: another run took over this run's lock (it was not "
                         f"renewed for {STALE_AFTER:.0f}s); runs may now overlap")
                    return

    def stop(self) -> None:
        with self.guard:
            self.stopped.set()


def _clock() -> datetime:
    return datetime.now(timezone.utc)


def _now() -> str:
    return _clock().isoformat(timespec="seconds")


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _parsed(info: str) -> dict:
    try:
        value = json.loads(info)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _age(info: dict) -> float:
    try:
        renewed = datetime.fromisoformat(info["Renewed"])
        return (_clock() - renewed).total_seconds()
    except (KeyError, TypeError, ValueError):
        return 0.0      # an item we cannot read is never stale: it is not ours to take


def _describe(info: dict) -> str:
    return (f"{info.get('Who', 'someone')} (stack {info.get('Stack', '?')}, since "
            f"{info.get('Created', '?')})")
