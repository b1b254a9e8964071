"""Class 11's verdict on a lifecycle run: what fails, what warns, what is named."""
import os
from pathlib import Path

import pytest

from studio_containers.runtime.lifecycle import STOPPED, LifecycleRun
from studio_containers.validate.lifecycle_checks import (
    changed_since,
    findings_of,
    missing_command,
    needs_aws_credentials,
    snapshot,
)
from tests.unit.validate.inputs import a_spec


def a_run(tmp_path: Path, output: str, exit_code: int | None, seconds: float = 1.0,
          timeout: float = 300) -> LifecycleRun:
    log = tmp_path / "run.log"
    log.write_text(output + (f"\n{STOPPED.format(timeout)}\n" if exit_code is None else ""))
    return LifecycleRun("setup", exit_code, seconds, timeout, log)


def test_a_good_quick_run_has_no_finding(tmp_path):
    assert findings_of(a_spec(), a_run(tmp_path, "done\n", 0), []) == []


def test_a_non_zero_exit_fails_with_its_last_lines_and_the_log(tmp_path):
    run = a_run(tmp_path, "one\ntwo\n\nthree\nfour\n", 2, seconds=1.25)
    [finding] = findings_of(a_spec(), run, [])
    assert (finding.cls, finding.warning) == (11, False)
    assert "exited with code 2 after 1.2 s; its last lines: three | four" in finding.evidence
    assert str(run.log) in finding.evidence
    assert "--lifecycle setup" in finding.fix


def test_a_run_stopped_at_the_limit_fails_naming_the_setting(tmp_path):
    [finding] = findings_of(a_spec(), a_run(tmp_path, "waiting\n", None, 30, 30), [])
    assert not finding.warning
    assert "ran past the time limit of 30 s (validate.lifecycle_timeout)" in finding.evidence
    assert "waiting" in finding.evidence and "background" in finding.fix


def test_a_run_with_no_output_says_so(tmp_path):
    [finding] = findings_of(a_spec(), a_run(tmp_path, "", 1), [])
    assert "it printed nothing" in finding.evidence


@pytest.mark.parametrize("line, tool", [
    ("/tmp/.studio-lifecycle-x.sh: line 4: conda: command not found", "conda"),
    ("/tmp/.studio-lifecycle-x.sh: 3: jq: not found", "jq"),
    ("/usr/bin/env: 'aws': No such file or directory", "aws"),
    ("/usr/bin/env: \u2018python3\u2019: No such file or directory", "python3"),
    ("env: node: No such file or directory", "node"),
    ("bash: data.txt: No such file or directory", None),
    ("ERROR: package not found in the index", None),
])
def test_the_missing_command_is_named_from_the_shells_words(tmp_path, line, tool):
    assert missing_command(a_run(tmp_path, f"starting\n{line}\n", 127)) == tool


def test_a_missing_command_gets_its_fix(tmp_path):
    [finding] = findings_of(a_spec(), a_run(tmp_path, "x.sh: line 2: git: command not found", 127),
                            [])
    assert finding.fix.startswith("the image has no `git`")


def test_more_than_half_the_limit_warns(tmp_path):
    assert findings_of(a_spec(), a_run(tmp_path, "ok", 0, seconds=150, timeout=300), []) == []
    [finding] = findings_of(a_spec(), a_run(tmp_path, "ok", 0, seconds=151, timeout=300), [])
    assert finding.warning and "took 151.0 s, more than half" in finding.evidence


def test_writes_under_the_home_warn_with_three_examples(tmp_path):
    written = ["a", "b", "c", "d", "e"]
    [finding] = findings_of(a_spec(), a_run(tmp_path, "ok", 0), written)
    assert finding.warning
    assert f"writes 5 file(s) under the home {a_spec().mount_path} (a, b, c and 2 more)" \
        in finding.evidence


def test_the_home_snapshot_sees_new_and_changed_files_only(tmp_path):
    (tmp_path / "kept").write_text("same")
    (tmp_path / "edited").write_text("old")
    before = snapshot(tmp_path)
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "new").write_text("x")
    (tmp_path / "edited").write_text("newer")
    os.utime(tmp_path / "kept", ns=(10**9, 10**9))   # rewritten, same size: a write too
    assert changed_since(tmp_path, before) == ["deep/er/new", "edited", "kept"]


@pytest.mark.parametrize("line", [
    "Unable to locate credentials. You can configure credentials by running \"aws configure\".",
    "botocore.exceptions.NoCredentialsError: Unable to locate credentials",
    "You must specify a region. You can also configure your region by running \"aws configure\".",
])
def test_a_script_failing_for_want_of_aws_credentials_only_warns(tmp_path, line):
    run = a_run(tmp_path, f"copying the team's settings\n{line}\n", 255)
    assert needs_aws_credentials(run)
    [finding] = findings_of(a_spec(), run, [])
    assert finding.warning and "validation gives it no credentials" in finding.evidence
    assert not needs_aws_credentials(a_run(tmp_path, "curl: (6) Could not resolve host\n", 6))
