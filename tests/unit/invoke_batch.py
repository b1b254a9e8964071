"""Runs many `invoke` command lines in one process, each as the `invoke` command runs it.

`python -m tests.unit.invoke_batch RESULTS.json < CASES.json`. Each case is {"argv": [...],
"env": {...}}: the environment is replaced by the case's, then Invoke's own entry point
(`invoke.main.program.run`, what `invoke` and `python -m invoke` call) runs the argv with stdout
and stderr captured. An exception that escapes it is printed as Python would print it, so a
traceback shows in the case's stderr as it would in a terminal. One interpreter for a hundred
cases keeps the bad-input corpus fast (a fresh `invoke` process takes most of a second).
"""
import contextlib
import io
import json
import os
import sys
import time
import traceback


def run_case(argv: list[str], env: dict[str, str]) -> dict:
    import copy

    from invoke.main import program
    program = copy.copy(program)    # as constructed, before any run: nothing left from the last

    os.environ.clear()
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            program.run(["invoke", *argv])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
        except BaseException:  # noqa: BLE001 - what a terminal would show, recorded
            traceback.print_exc()
            code = 1
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
            "seconds": time.monotonic() - started}


def main() -> int:
    cases = json.load(sys.stdin)
    saved = dict(os.environ)
    results = {}
    for case in cases:
        results[case["id"]] = run_case(case["argv"], case["env"])
    os.environ.clear()
    os.environ.update(saved)
    with open(sys.argv[1], "w") as handle:
        json.dump(results, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
