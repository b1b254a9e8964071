"""An app's execution role credentials, issued by the local AWS's STS for the container
credentials endpoint (runtime/credentials_endpoint.py).

`invoke local` has no domain or profile: its kernels get LOCAL_EXECUTION_ROLE, the execution
role `invoke up --target local` gives the local domain (AssumeRole on the local AWS does not
need the role to exist yet). Apps started by CreateApp get their owner's role, as in Studio.
"""
from collections.abc import Callable

from .credentials_endpoint import AssumeRole, Unavailable

LOCAL_EXECUTION_ROLE = "studio-containers-local-execution"
# The local AWS's endpoint when asked (localaws/control.py's running_local_aws gives one): a
# function, since kernels may call AWS long after the app started, or before the local AWS did.
LocalAwsEndpoint = Callable[[], object]


def assume_role_through(endpoint: LocalAwsEndpoint) -> AssumeRole:
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


def local_execution_role(endpoint: LocalAwsEndpoint) -> Callable[[], str]:
    """LOCAL_EXECUTION_ROLE's ARN in the local AWS's account."""
    def role() -> str:
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            account = endpoint().client("sts", timeout=10).get_caller_identity()["Account"]
        except (BotoCoreError, ClientError) as exc:
            raise Unavailable(f"the local AWS did not answer: {str(exc).splitlines()[0]}") from None
        return f"arn:aws:iam::{account}:role/{LOCAL_EXECUTION_ROLE}"
    return role
