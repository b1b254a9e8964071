"""One run at a time rewrites a domain's custom image lists, whichever machine it runs on.

UpdateDomain replaces a whole CustomImages list, so two `up`s that read the domain at the same
time and then write it would each drop the other's image. With a DynamoDB lock table configured
(deploy.backend.dynamodb_table, the one Terraform locks its state with), the read-merge-write is
done holding an item of that table, keyed by the domain (not by any one state). The hold lasts
seconds; a lock older than STALE_AFTER was left by a run that died and is taken over.
"""
import contextlib
import getpass
import json
import random
import socket
import time
import uuid
from datetime import datetime, timezone

from botocore.exceptions import ClientError

from ..console import say
from ..errors import UserError

LOCK_PREFIX = "studio-containers/domain/"
STALE_AFTER = 600.0


def who() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


@contextlib.contextmanager
def domain_lock(dynamodb, table: str, domain_id: str, stack: str, timeout: float):
    """Holds the domain's lock item in `table` (nothing to hold when there is no table)."""
    if not table:
        yield
        return
    key = {"LockID": {"S": LOCK_PREFIX + domain_id}}
    mine = json.dumps({"ID": str(uuid.uuid4()), "Who": who(), "Stack": stack,
                       "Created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    _acquire(dynamodb, table, key, mine, domain_id, timeout)
    try:
        yield
    finally:
        try:
            dynamodb.delete_item(TableName=table, Key=key, ConditionExpression="Info = :mine",
                                 ExpressionAttributeValues={":mine": {"S": mine}})
        except ClientError:
            pass    # taken over as stale: it is someone else's now


def _acquire(dynamodb, table: str, key: dict, mine: str, domain_id: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    said = False
    while True:
        holder = _try_put(dynamodb, table, key, mine)
        if holder is None:
            return
        info = _parsed(holder)
        if _age(info) > STALE_AFTER and _take_over(dynamodb, table, key, mine, holder):
            say(f"Domain {domain_id}: took over a lock {_describe(info)} left (older than "
                f"{STALE_AFTER:.0f}s: that run died)")
            return
        if time.monotonic() >= deadline:
            raise UserError(f"domain {domain_id}: another run is changing its image lists "
                            f"({_describe(info)}); waited {timeout:.0f}s (deploy.lock_timeout). "
                            f"If that run died, delete the item LockID={key['LockID']['S']} from "
                            f"the DynamoDB table {table}")
        if not said:
            say(f"Waiting for domain {domain_id}: {_describe(info)} is changing its image lists")
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
            raise UserError(f"deploy.backend.dynamodb_table {table}: could not lock the domain: "
                            f"{exc.response['Error']['Message']}") from None
    item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") or {}
    return item.get("Info", {}).get("S", "{}")


def _take_over(dynamodb, table: str, key: dict, mine: str, holder: str) -> bool:
    try:
        dynamodb.put_item(TableName=table, Item={**key, "Info": {"S": mine}},
                          ConditionExpression="Info = :theirs",
                          ExpressionAttributeValues={":theirs": {"S": holder}})
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
        return (datetime.now(timezone.utc) - datetime.fromisoformat(info["Created"])).total_seconds()
    except (KeyError, TypeError, ValueError):
        return 0.0      # an item we cannot read is never stale: it is not ours to take


def _describe(info: dict) -> str:
    return (f"{info.get('Who', 'someone')} (stack {info.get('Stack', '?')}, since "
            f"{info.get('Created', '?')})")
