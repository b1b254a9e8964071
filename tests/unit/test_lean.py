"""lean.py: the gateway and the local lab start without building the IRI grammar or asking yarn."""
import json
import shutil
import subprocess
import sys

from studio_containers.local.lab import RUNTIME_HELPERS, LabOptions, lab_command

PROBE = """
import json, subprocess, sys
sys.path.insert(0, {helpers!r})
import lean
calls = []
real = subprocess.check_output
subprocess.check_output = lambda argv, **kw: calls.append([str(a) for a in argv]) or real(argv, **kw)
{skips}
import jsonschema, jupyter_events, jupyterlab.labapp
checker = jsonschema.FormatChecker()
print(json.dumps({{"lark": "lark" in sys.modules,
                  "yarn": any("yarn" in " ".join(c) for c in calls),
                  "uri_checked": not checker.conforms("not a uri", "uri")}}))
"""


def _probe(*skips: str) -> dict:
    code = PROBE.format(helpers=str(RUNTIME_HELPERS), skips="\n".join(f"lean.{s}()" for s in skips))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_stock_imports_build_the_grammar_and_ask_yarn():
    stock = _probe()
    assert stock["lark"] is True
    if shutil.which("node"):
        assert stock["yarn"] is True


def test_skips_leave_out_both_and_keep_uri_checks():
    lean = _probe("skip_iri_grammar", "skip_yarn_config")
    assert lean == {"lark": False, "yarn": False, "uri_checked": True}


def test_the_lab_starts_through_lean(tmp_path):
    opts = LabOptions(port=1, token="t", gateway_url="http://127.0.0.1:2", gateway_token="g",
                      root_dir=tmp_path, state_dir=tmp_path)
    start = lab_command(opts)[2]
    assert "lean.skip_iri_grammar(); lean.skip_yarn_config()" in start
    assert start.index("lean.") < start.index("from jupyterlab.labapp import main")


def test_the_gateway_starts_through_lean():
    launch = (RUNTIME_HELPERS / "launch.py").read_text()
    assert "import lean; lean.skip_iri_grammar();" in launch
    assert launch.index("lean.skip_iri_grammar") < launch.index("from kernel_gateway import")
