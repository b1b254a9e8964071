"""`invoke aws.*`: the local AWS (moto + the Studio image API) and its ECR registry."""
import shlex

from invoke import Collection, task

from ..console import detail, say
from . import settings, user_errors


def _local_aws(c):
    from ..localaws.control import LocalAws  # boto3: only the tasks that use it pay for it
    return LocalAws(settings(c))


@task
@user_errors
def start(c):
    """Start the local AWS API and its ECR registry on 127.0.0.1 (keeps all saved resources)."""
    endpoint = _local_aws(c).start()
    say(f"Local AWS ready: {endpoint.url} (region {endpoint.region}), "
        f"ECR registry {endpoint.registry_host}")
    detail('Use it from a shell: eval "$(./inv aws.env)"; then boto3 or the AWS CLI')


@task
@user_errors
def stop(c):
    """Stop the local AWS and its registry; their state stays for the next start."""
    if _local_aws(c).stop():
        say("Local AWS stopped (state kept)")
    else:
        say("Local AWS was not running")


@task
@user_errors
def status(c):
    """Show whether the local AWS and its registry run, where, and their state file."""
    for key, value in _local_aws(c).status().items():
        print(f"{key:<9} {value}")


@task
@user_errors
def env(c):
    """Print `export` lines that point boto3 / the AWS CLI at the running local AWS."""
    from ..localaws.control import require_running
    for name, value in require_running(settings(c)).environment().items():
        print(f"export {name}={shlex.quote(value)}")


ns = Collection("aws", start, stop, status, env)
