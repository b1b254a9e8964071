"""Invoke task collections, one module per topic; the top-level tasks.py assembles them."""
import functools

import requests
from botocore.exceptions import BotoCoreError, ClientError
from docker.errors import DockerException
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
        except DockerException as exc:
            message = str(getattr(exc, "explanation", None) or exc).splitlines()[0]
            raise Exit(f"error: Docker engine: {message}", code=1) from None
        except ClientError as exc:      # an AWS answer a task did not turn into its own words
            error = exc.response.get("Error", {})
            raise Exit(f"error: {exc.operation_name}: {error.get('Code')}: {error.get('Message')}",
                       code=1) from None
        except BotoCoreError as exc:
            raise Exit(f"error: AWS: {exc}", code=1) from None
        except requests.exceptions.RequestException as exc:
            # The engine (or a server of ours) went away under a call no step was waiting for.
            raise Exit(f"error: a connection failed (the Docker engine or the local AWS "
                       f"stopped?): {first_line(exc)}", code=1) from None
    return wrapper


def settings(c) -> Settings:
    return Settings.from_config(c.config)
