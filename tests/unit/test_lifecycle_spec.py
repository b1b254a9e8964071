"""Lifecycle scripts' specs (lifecycle_spec.py): the shipped one loads; each refusal names the
file and the field, and what is allowed."""
import base64

import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.errors import UserError
from studio_containers.lifecycle_spec import (
    MAX_SCRIPT_BYTES,
    load_lifecycle,
    load_lifecycles,
)


def write(folder, name, spec, script=b"#!/bin/bash\necho hi\n"):
    folder.mkdir(exist_ok=True)
    if spec is not None:
        (folder / f"{name}.yaml").write_text(spec)
    if script is not None:
        (folder / f"{name}.sh").write_bytes(script)


def test_the_shipped_script_loads():
    [spec] = load_lifecycles(PROJECT_ROOT / "lifecycle")
    assert (spec.name, spec.app_types, spec.default) == ("install-package", ("JupyterLab",), True)
    assert spec.config_name("JupyterLab") == "install-package"
    assert base64.b64decode(spec.content) == spec.script.read_bytes()


def test_several_app_types_are_one_config_each(tmp_path):
    write(tmp_path, "git-setup", "app_types: [JupyterLab, CodeEditor]\n")
    spec = load_lifecycle(tmp_path, "git-setup")
    assert [spec.config_name(t) for t in spec.app_types] == ["git-setup-jupyterlab",
                                                             "git-setup-codeeditor"]
    assert spec.default is False
    assert load_lifecycles(tmp_path / "none") == []


@pytest.mark.parametrize("spec, script, message", [
    ("app_types: [Canvas]\n", b"x", r"x\.yaml: app_types\[0\]: 'Canvas' is not an app Studio "
                                    r"runs lifecycle scripts for; allowed: KernelGateway, "
                                    r"JupyterLab, CodeEditor, JupyterServer"),
    ("default: true\n", b"x", r"x\.yaml: app_types: is required"),
    ("app_types: JupyterLab\n", b"x", r"x\.yaml: app_types: must be a non-empty list"),
    ("app_types: [JupyterLab, JupyterLab]\n", b"x", "lists an app type twice"),
    ("app_types: [JupyterLab]\ndefault: yes please\n", b"x", r"default: 'yes please' must be "
                                                            "true or false"),
    ("app_types: [JupyterLab]\nruns_as: root\n", b"x", r"x\.yaml: runs_as: unknown field"),
    ("app_types: [JupyterLab]\n", b"x" * (MAX_SCRIPT_BYTES + 1),
     r"x\.sh: 12289 bytes; a lifecycle script must be 1-12288 bytes \(16384 characters once "
     r"base64-encoded"),
    ("app_types: [JupyterLab]\n", b"", r"x\.sh: 0 bytes"),
    ("app_types: [JupyterLab]\n", b"echo caf\xe9\n", r"x\.sh: byte 8 is not UTF-8"),
    ("app_types: [JupyterLab]\n", b"echo a\0b\n", r"x\.sh: holds a NUL byte"),
    ("app_types: [JupyterLab\n", b"x", r"x\.yaml: line 2: not valid YAML"),
    (None, b"x", r"x\.yaml: missing; each lifecycle script needs one"),
    ("app_types: [JupyterLab]\n", None, r"x\.sh: missing"),
])
def test_refusals_name_the_file_and_field(tmp_path, spec, script, message):
    write(tmp_path, "x", spec, script)
    with pytest.raises(UserError, match=message) as error:
        load_lifecycle(tmp_path, "x")
    assert "\n" not in str(error.value)


def test_a_name_studio_cannot_take_and_an_unknown_one(tmp_path):
    write(tmp_path, "bad_name", "app_types: [JupyterLab]\n")
    with pytest.raises(UserError, match=r"bad_name\.yaml: \(file name\): 'bad_name' must be"):
        load_lifecycle(tmp_path, "bad_name")
    with pytest.raises(UserError, match=r"--lifecycle 'nope': no lifecycle script .*known: "
                                        "bad_name"):
        load_lifecycle(tmp_path, "nope")
    write(tmp_path, "a" * 60, "app_types: [JupyterLab, CodeEditor]\n")
    with pytest.raises(UserError, match=r"over 54 characters \(63 with the script's digest\)"):
        load_lifecycle(tmp_path, "a" * 60)
    write(tmp_path, "b" * 54, "app_types: [JupyterLab]\n")
    assert len(load_lifecycle(tmp_path, "b" * 54).deployed_name("JupyterLab", "s")) == 63
    write(tmp_path, "b" * 55, "app_types: [JupyterLab]\n")
    with pytest.raises(UserError, match="over 54 characters"):
        load_lifecycle(tmp_path, "b" * 55)


def test_the_deployed_name_changes_with_the_script_and_the_stack(tmp_path):
    write(tmp_path, "setup", "app_types: [JupyterLab]\n")
    first = load_lifecycle(tmp_path, "setup").deployed_name("JupyterLab", "team-a")
    assert first.startswith("setup-") and len(first) == len("setup-") + 8
    # another stack's copy of the same script has a name of its own (names are the account's)
    assert load_lifecycle(tmp_path, "setup").deployed_name("JupyterLab", "team-b") != first
    (tmp_path / "setup.sh").write_text("echo changed\n")
    assert load_lifecycle(tmp_path, "setup").deployed_name("JupyterLab", "team-a") != first
