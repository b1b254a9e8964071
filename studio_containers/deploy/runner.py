"""Terraform driven through python-terraform, with its known quirks kept in this one place.

python-terraform 0.10.1 against Terraform >= 0.15: `apply()` must skip its own plan (it would ask
for approval), `destroy()` passes the removed `-force` flag unless told not to, `output(name)`
breaks (read all outputs), and `synchronous=False` leaks a bad flag. It reads the environment from
os.environ at call time and can only stream output to sys.stdout/sys.stderr, so both are swapped
for the duration of a call: streamed lines become progress, and the last ones are kept to show
when Terraform fails.
"""
import contextlib
import json
import os
import re
import sys
import threading
from pathlib import Path

from python_terraform import IsFlagged, IsNotFlagged, Terraform

from ..console import Tail, detail, show_tail
from ..errors import UserError
from ..settings import default
from .toolchain import Toolchain

PROGRESS = re.compile(r"(Creating\.\.\.|Creation complete|Destroying\.\.\.|Destruction complete|"
                      r"Modifying\.\.\.|Modifications complete|Still (creating|destroying)|"
                      r"Importing|Import prepared|Apply complete!|Destroy complete!|^Plan:|"
                      r"No changes\.)")
ERROR_ADDRESS = re.compile(r"^\s*with (\S+?),?$")
_ENV_LOCK = threading.Lock()


class TerraformRunner:
    def __init__(self, workdir: Path, toolchain: Toolchain, env: dict[str, str],
                 parallelism: int | None = None, lock_timeout: float | None = None,
                 local_state: bool = False):
        self.workdir = workdir
        # A state in the working folder is read as a file: a Terraform start saved per read.
        self.local_state = local_state
        self.env = {**toolchain.environment(), **env}
        # Not given: invoke.yaml's deploy.parallelism and deploy.lock_timeout.
        self.parallelism = default("deploy.parallelism") if parallelism is None else parallelism
        # A run elsewhere holding the state lock (a shared backend) is waited for this long.
        lock_timeout = default("deploy.lock_timeout") if lock_timeout is None else lock_timeout
        self.lock_timeout = f"{int(lock_timeout)}s"
        self.tf = Terraform(working_dir=str(workdir), terraform_bin_path=toolchain.binary)

    # Commands whose output is data: captured whole.

    def init(self, backend_config: dict[str, str] | None = None) -> None:
        self._captured("init", backend_config=backend_config or None, reconfigure=IsFlagged,
                       upgrade=IsNotFlagged)

    def raw_state(self) -> dict:
        """The state as Terraform writes it (JSON), {} when there is none yet."""
        if self.local_state:
            try:
                text = (self.workdir / "terraform.tfstate").read_text()
            except FileNotFoundError:
                return {}
        else:
            code, text, err = self._run("state pull")
            if code != 0:
                self._fail("state pull", (text or "") + (err or ""))
        return json.loads(text) if text.strip() else {}

    def state(self) -> dict[str, dict]:
        """Resource address → attributes of every resource instance in the state."""
        found = {}
        for resource in self.raw_state().get("resources", []):
            if resource.get("mode") != "managed":
                continue
            prefix = f"{resource['module']}." if resource.get("module") else ""
            for instance in resource.get("instances", []):
                key = instance.get("index_key")
                index = "" if key is None else (f"[{key}]" if isinstance(key, int)
                                                else f'["{key}"]')
                address = f"{prefix}{resource['type']}.{resource['name']}{index}"
                found[address] = instance.get("attributes", {})
        return found

    def outputs(self) -> dict:
        if self.local_state:
            outputs = self.raw_state().get("outputs", {})
        else:
            code, out, err = self._run("output", json=IsFlagged)
            if code != 0:
                self._fail("output", (out or "") + (err or ""))
            outputs = json.loads(out or "{}")
        return {name: value["value"] for name, value in outputs.items()}

    def state_rm(self, address: str) -> None:
        self._captured("state rm", address, lock_timeout=self.lock_timeout)

    def import_resource(self, address: str, resource_id: str) -> None:
        detail(f"terraform import {address} {resource_id}")
        self._captured("import", address, resource_id, input=False, lock_timeout=self.lock_timeout)

    # Commands that change things: streamed as progress.

    def apply(self) -> bool:
        """Plans; applies only when the plan has changes. Returns whether anything changed."""
        plan = "studio-containers.tfplan"
        code = self._streamed("plan", out=plan, detailed_exitcode=IsFlagged, input=False,
                              parallelism=self.parallelism, lock_timeout=self.lock_timeout)
        if code == 0:
            return False
        if code != 2:
            raise AssertionError("unreachable: _streamed raises on failure")
        try:
            self._streamed("apply", plan, input=False, parallelism=self.parallelism,
                           auto_approve=IsFlagged, lock_timeout=self.lock_timeout)
        finally:
            (self.workdir / plan).unlink(missing_ok=True)
        return True

    def destroy(self) -> None:
        # destroy() would add the "-force" flag Terraform >= 0.15 rejects.
        self._streamed("destroy", input=False, auto_approve=IsFlagged, force=None,
                       parallelism=self.parallelism, lock_timeout=self.lock_timeout)

    # Plumbing

    def _run(self, command: str, *args, **kwargs):
        # python-terraform puts options right after its first argument, so a subcommand
        # ("state pull") is passed as one string; `state pull` has no -no-color flag.
        if command != "state pull":
            kwargs["no_color"] = IsFlagged
        with self._environment():
            return self.tf.cmd(command, *args, capture_output=True, **kwargs)

    def _captured(self, *args, **kwargs) -> str:
        code, out, err = self._run(*args, **kwargs)
        if code != 0:
            self._fail(" ".join(a for a in args if isinstance(a, str)), (out or "") + (err or ""))
        return out

    def _streamed(self, *args, **kwargs) -> int:
        tail = Tail(60)
        lines: list[str] = []
        terminal = sys.stdout   # the reader thread prints here while sys.stdout is the pipe

        def show(line: str) -> None:
            lines.append(line)
            if line.strip():
                tail.append(line)
            if PROGRESS.search(line):
                print(f"    {line.strip()}", file=terminal, flush=True)
        with self._environment(), _streaming(show):
            code, _, _ = self.tf.cmd(*args, no_color=IsFlagged, capture_output=False, **kwargs)
        command = args[0]
        ok = {0, 2} if kwargs.get("detailed_exitcode") else {0}
        if code not in ok:
            show_tail(f"terraform {command}", tail)
            raise UserError(f"terraform {command} failed: {_first_error(lines)}")
        return code

    def _fail(self, command: str, output: str) -> None:
        lines = output.splitlines()
        tail = Tail(60)
        tail.feed(output)
        show_tail(f"terraform {command}", tail)
        raise UserError(f"terraform {command} failed: {_first_error(lines)}")

    @contextlib.contextmanager
    def _environment(self):
        # python-terraform copies os.environ when it starts Terraform; one call at a time.
        with _ENV_LOCK:
            saved = dict(os.environ)
            os.environ.update(self.env)
            try:
                yield
            finally:
                os.environ.clear()
                os.environ.update(saved)


def _first_error(lines: list[str]) -> str:
    """'<resource address>: <Terraform's message>' of the first error, else the last line."""
    held = _lock_holder(lines)
    if held:
        return held
    for index, line in enumerate(lines):
        stripped = line.strip().lstrip("│").strip()
        if stripped.startswith("Error: "):
            message = stripped[len("Error: "):]
            for following in lines[index + 1:index + 12]:
                match = ERROR_ADDRESS.match(following.strip().lstrip("│"))
                if match:
                    return f"{match.group(1)}: {message}"
            return message
    meaningful = [line.strip() for line in lines if line.strip()]
    return meaningful[-1] if meaningful else "no output"


def _lock_holder(lines: list[str]) -> str | None:
    """Who holds the state lock, when that is why Terraform stopped."""
    if not any("Error acquiring the state lock" in line for line in lines):
        return None
    info = {}
    for line in lines:
        key, sep, value = line.strip().lstrip("│").strip().partition(":")
        if sep and key in ("ID", "Who", "Operation", "Created") and key not in info:
            info[key] = value.strip()
    return (f"the Terraform state is locked by {info.get('Who', 'another run')} "
            f"({info.get('Operation', 'an operation').removeprefix('OperationType').lower()} "
            f"since {info.get('Created', '?')}); waited deploy.lock_timeout. If that run died, "
            f"`terraform force-unlock {info.get('ID', 'ID')}` in the stack folder releases it")


class _PipeOut:
    """Stands in for sys.stdout/sys.stderr: Popen gets the write end of a pipe."""

    def __init__(self, write_fd: int):
        self._fd = write_fd

    def fileno(self) -> int:
        return self._fd

    def write(self, text: str) -> int:
        return os.write(self._fd, text.encode())

    def flush(self) -> None:
        pass


@contextlib.contextmanager
def _streaming(on_line):
    read_fd, write_fd = os.pipe()
    real_out, real_err = sys.stdout, sys.stderr

    def pump():
        with os.fdopen(read_fd, "r", errors="replace") as stream:
            for line in stream:
                on_line(line.rstrip("\n"))
    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    sys.stdout = sys.stderr = _PipeOut(write_fd)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = real_out, real_err
        os.close(write_fd)
        reader.join()
