"""local/gateway/lean.py: the gateway and the local lab start without the format checkers' packages
no Jupyter schema uses (the IRI grammar's parser among them) or asking yarn, and both really
start through it."""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio_containers.runtime.lab import RUNTIME_HELPERS, LabOptions, lab_command

from .conftest import load

UNUSED_FORMAT_MODULES = load("lean").UNUSED_FORMAT_MODULES

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
                  "arrow": "arrow" in sys.modules,
                  "format_modules": sorted(m for m in lean.UNUSED_FORMAT_MODULES if sys.modules.get(m)),
                  "yarn": any("yarn" in " ".join(c) for c in calls),
                  "uri_checked": not checker.conforms("not a uri", "uri")}}))
"""


def _probe(*skips: str) -> dict:
    code = PROBE.format(helpers=str(RUNTIME_HELPERS), skips="\n".join(f"lean.{s}()" for s in skips))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_stock_imports_build_the_grammar_load_every_format_checker_and_ask_yarn():
    stock = _probe()
    assert stock["lark"] is True and stock["arrow"] is True
    assert stock["format_modules"] == sorted(UNUSED_FORMAT_MODULES)   # all installed, all loaded
    if shutil.which("node"):
        assert stock["yarn"] is True


def test_skips_leave_them_out_and_keep_uri_checks():
    lean = _probe("skip_unused_format_checkers", "skip_yarn_config")
    assert lean == {"lark": False, "arrow": False, "format_modules": [], "yarn": False,
                    "uri_checked": True}


def test_no_jupyter_schema_asks_for_a_skipped_format():
    import jupyter_events
    import jupyter_server
    formats = set()
    for package in (jupyter_events, jupyter_server):
        for schema in Path(package.__file__).parent.rglob("*.y*ml"):
            formats |= set(re.findall(r"^\s*format:\s*(\S+)", schema.read_text(), re.MULTILINE))
        for schema in Path(package.__file__).parent.rglob("*.json"):
            formats |= set(re.findall(r'"format":\s*"([^"]+)"', schema.read_text()))
    skipped = {f.strip() for backs in UNUSED_FORMAT_MODULES.values() for f in backs.split(",")}
    assert formats and not formats & skipped, formats


STAND_IN_GATEWAY = """
import json, sys


def launch_instance(argv):
    import jsonschema, jupyter_events  # what the real gateway imports as it starts
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler
    print(json.dumps({"iri_grammar": "lark" in sys.modules, "arrow": "arrow" in sys.modules,
                      "args": argv,
                      "nodelay": getattr(KernelWebsocketHandler, "_studio_containers_nodelay", False)}))
"""

LOAD_AND_LAUNCH = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("launch", {launch!r})
launch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launch)
launch.load_gateway({nodelay!r}, site={site!r})(["--KernelGatewayApp.config_file=/private/config.json"])
"""


def test_the_gateway_starts_lean_and_fast(tmp_path):
    # A stand-in kernel_gateway in the bundle's site folder reports what the real one would meet.
    site = tmp_path / "site"
    (site / "kernel_gateway").mkdir(parents=True)
    (site / "kernel_gateway" / "__init__.py").write_text(STAND_IN_GATEWAY)
    for nodelay in (True, False):
        code = LOAD_AND_LAUNCH.format(launch=str(RUNTIME_HELPERS / "launch.py"), nodelay=nodelay,
                                      site=str(site))
        done = subprocess.run([sys.executable, "-s", "-E", "-c", code], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[-1]) == {
            "iri_grammar": False, "arrow": False, "nodelay": nodelay,
            "args": ["--KernelGatewayApp.config_file=/private/config.json"]}


@pytest.fixture
def node_calls(tmp_path):
    """A `node` first on PATH that records its calls (JupyterLab asks it for yarn's config)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    calls = tmp_path / "node-calls"
    (folder / "node").write_text(f'#!/bin/sh\necho "$@" >> {calls}\necho "{{}}"\n')
    (folder / "node").chmod(0o755)
    return calls, {"PATH": f"{folder}:/usr/bin:/bin", "HOME": str(tmp_path)}


def _imports_and_version(argv, env) -> tuple[str, set[str]]:
    """What `argv` printed, and the modules it imported (python -X importtime)."""
    done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
               if line.startswith("import time:")}
    return done.stdout.strip(), modules


def test_the_lab_starts_lean(tmp_path, node_calls):
    calls, env = node_calls
    stock_version, stock_imports = _imports_and_version(
        [sys.executable, "-m", "jupyterlab", "--version"], env)
    assert "lark" in stock_imports and calls.exists()   # the grammar's parser, and yarn asked
    calls.unlink()
    opts = LabOptions(port=1, token="t", gateway_url="http://127.0.0.1:2", gateway_token="g",
                      root_dir=tmp_path, state_dir=tmp_path)
    start = lab_command(opts)[:3]   # the interpreter and its start code, without the lab's options
    version, imports = _imports_and_version([*start, "--version"], env)
    assert version == stock_version                       # it is JupyterLab's own main
    assert "lark" not in imports and not calls.exists()
