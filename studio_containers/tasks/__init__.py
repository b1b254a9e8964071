"""Invoke task collections, one module per topic; the top-level tasks.py assembles them."""
import functools
import sys

from invoke import Exit

from ..errors import UserError, first_line
from ..settings import Settings, check_settings_files, keep_env_strings

keep_env_strings()   # before Invoke reads INVOKE_* variables, which happens after tasks load
check_settings_files()   # before Invoke reads invoke.yaml and the -f file, also after tasks load


def user_errors(task_body):
    """Expected failures end as one line and a non-zero exit, never a traceback."""
    @functools.wraps(task_body)
    def wrapper(*args, **kwargs):
        try:
            return task_body(*args, **kwargs)
        except UserError as exc:
            raise Exit(f"error: {exc}", code=1) from None
        except Exception as exc:
            line = _one_line(exc)
            if line is None:
                raise
            raise Exit(f"error: {line}", code=1) from None
    return wrapper


def _one_line(exc: Exception) -> str | None:
    """The line for a failure of a library a task used; None for anything else (a bug: its
    traceback is what a report needs). A library that was never imported raised nothing, so its
    exceptions are looked up only when loaded: `invoke local` does not pay for boto3."""
    docker_errors, botocore_errors = (sys.modules.get(name) for name in
                                      ("docker.errors", "botocore.exceptions"))
    if docker_errors and isinstance(exc, docker_errors.DockerException):
        return "Docker engine: " + str(getattr(exc, "explanation", None) or exc).splitlines()[0]
    if botocore_errors and isinstance(exc, botocore_errors.ClientError):
        # An AWS answer a task did not turn into its own words.
        error = exc.response.get("Error", {})
        return f"{exc.operation_name}: {error.get('Code')}: {error.get('Message')}"
    if botocore_errors and isinstance(exc, botocore_errors.BotoCoreError):
        return f"AWS: {exc}"
    requests_errors = sys.modules.get("requests.exceptions")
    if requests_errors and isinstance(exc, requests_errors.RequestException):
        # The engine (or a server of ours) went away under a call no step was waiting for.
        return f"a connection failed (the Docker engine or the local AWS stopped?): {first_line(exc)}"
    return None


def settings(c) -> Settings:
    return Settings.from_config(c.config)
