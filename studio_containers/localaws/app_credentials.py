"""An app's execution role credentials, issued by the local AWS's STS for the container
credentials endpoint (runtime/credentials_endpoint.py).

`invoke local` has no domain or profile: its kernels get LOCAL_EXECUTION_ROLE, the execution
role `invoke up --target local` gives the local domain (AssumeRole on the local AWS does not
need the role to exist yet). Apps started by CreateApp get their owner's role, as in Studio.
"""
from collections.abc import Callable

from ..runtime.credentials_endpoint import AssumeRole, Unavailable

LOCAL_EXECUTION_ROLE = "studio-containers-local-execution"


def assume_role_through(endpoint: Callable[[], object]) -> AssumeRole:
    """AssumeRole on the local AWS that `endpoint()` returns (a control.Endpoint), raising
    Unavailable with what to do when it cannot."""
    def assume(role_arn: str, session: str, seconds: int) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            return endpoint().client("sts", timeout=10).assume_role(
                RoleArn=role_arn, RoleSessionName=session, DurationSeconds=seconds)["Credentials"]
        except (BotoCoreError, ClientError) as exc:
            raise Unavailable(f"the local AWS did not issue credentials for {role_arn}: "
                              f"{str(exc).splitlines()[0]}") from None
    return assume


def running_local_aws(settings) -> Callable[[], object]:
    """The running local AWS's endpoint, for `invoke local`, whose kernels may call AWS long
    after it started (or before the user started the local AWS)."""
    def endpoint():
        from .control import LocalAws
        local = LocalAws(settings)
        if not local.running():
            raise Unavailable("the local AWS is not running; start it with `./inv aws.start` "
                              "(kernels get their AWS credentials and endpoint from it)")
        return local.endpoint()
    return endpoint


def local_execution_role(endpoint: Callable[[], object]) -> Callable[[], str]:
    """LOCAL_EXECUTION_ROLE's ARN in the local AWS's account."""
    def role() -> str:
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            account = endpoint().client("sts", timeout=10).get_caller_identity()["Account"]
        except (BotoCoreError, ClientError) as exc:
            raise Unavailable(f"the local AWS did not answer: {str(exc).splitlines()[0]}") from None
        return f"arn:aws:iam::{account}:role/{LOCAL_EXECUTION_ROLE}"
    return role
