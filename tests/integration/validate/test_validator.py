"""`invoke validate` on real images: every shipped image passes; each fixture (python-basic broken
in one way) is caught with its class and only its class."""
import io
import json
import re
import tarfile
from dataclasses import replace

import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.build.images import BuiltImage, build_image
from studio_containers.errors import UserError
from studio_containers.spec import load_spec
from studio_containers.validate.image_checks import validate_image
from studio_containers.validate.validator import validate_images

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "images"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("class-9-"))
SPACE_FAILURES = {"class-9-entrypoint-exits": "the app's process exited with code 3",
                  "class-9-token-required": "demands a token or password",
                  "class-9-wrong-base-path": "timed out after 15s waiting for class-9-wrong-base-path "
                                             "to serve /jupyterlab/default on port 8888",
                  # either spelling: while code-server starts, one may answer 502 and the other 302
                  "class-9-code-editor-password": "/codeeditor/default/ answered 302 (to ./login",
                  "class-9-code-editor-at-root": "but / answers: the app serves the root, not "
                                                 "Studio's base path"}


@pytest.fixture(scope="module")
def validation(workspace, python_basic, runtime, settings, tmp_path_factory):
    """With no lifecycle script: each fixture shows its own class alone (class 11 has its own
    cases, and the shipped script its own test)."""
    return workspace, runtime, replace(settings, lifecycle_dir=tmp_path_factory.mktemp("none"))


@pytest.fixture(scope="module")
def build_fixture(workspace, settings):
    """Builds a class 9 fixture, first building the shipped image it is made FROM
    (`FROM studio-containers/NAME:latest`)."""
    def build(case: str) -> BuiltImage:
        parent = re.search(r"^FROM studio-containers/([\w-]+):latest", (FIXTURES / case / "Dockerfile")
                           .read_text(), re.MULTILINE).group(1)
        build_image(workspace, load_spec(settings.images_dir / parent))
        return build_image(workspace, load_spec(FIXTURES / case))
    return build


def failing_classes(findings) -> set[int]:
    return {f.cls for f in findings if not f.warning}


def test_every_shipped_image_passes(validation, built):
    workspace, runtime, settings = validation
    findings = validate_image(workspace.client, built, runtime, settings)
    assert failing_classes(findings) == set(), [f.line(built.spec.name) for f in findings]


@pytest.mark.parametrize("case", CASES)
def test_each_fixture_is_caught_with_its_class_only(validation, python_basic, build_fixture, case):
    workspace, runtime, settings = validation
    expected = int(case.split("-")[1])
    if expected == 10:
        size = workspace.client.images.get(python_basic.ref).attrs["Size"]
        settings = replace(settings, validate_max_size_gb=(size + 10_000_000) / 1e9,
                           validate_warn_size_gb=(size + 5_000_000) / 1e9)
    findings = validate_image(workspace.client, build_fixture(case), runtime, settings)
    lines = [f.line(case) for f in findings]
    assert failing_classes(findings) == {expected}, lines
    assert all(f"class {expected} (" in line for line in lines if line.startswith("FAIL")), lines


def test_an_arm64_image_is_class_6(validation, python_basic):
    built = python_basic
    workspace, runtime, settings = validation
    client = workspace.client
    archive = io.BytesIO(b"".join(client.images.get(built.ref).save(named=False)))
    loaded = _with_architecture(archive, "arm64", "studio-containers/class-6-arm64:fixture")
    client.images.load(loaded.getvalue())
    try:
        image = BuiltImage(spec=replace(built.spec, name="class-6-arm64"),
                           ref="studio-containers/class-6-arm64:fixture",
                           content_hash="fixture", image_id="", rebuilt=False)
        findings = validate_image(client, image, runtime, settings)
        assert failing_classes(findings) >= {6}
        assert failing_classes(findings) <= {6, 7}   # an arm64 python cannot run here
    finally:
        client.images.remove("studio-containers/class-6-arm64:fixture", force=True)


def _with_architecture(archive: io.BytesIO, arch: str, tag: str) -> io.BytesIO:
    """A copy of a `docker save` archive whose image configuration names another CPU."""
    archive.seek(0)
    source = tarfile.open(fileobj=archive)
    manifest = json.load(source.extractfile("manifest.json"))
    config_name = manifest[0]["Config"]
    config = json.load(source.extractfile(config_name))
    config["architecture"] = arch
    new_config = json.dumps(config).encode()
    import hashlib
    new_name = hashlib.sha256(new_config).hexdigest() + ".json"
    manifest[0].update(Config=new_name, RepoTags=[tag])
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as target:
        for member in source.getmembers():
            if member.name in ("manifest.json", config_name, "repositories"):
                continue
            target.addfile(member, source.extractfile(member) if member.isfile() else None)
        for name, data in ((new_name, new_config), ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return out


def test_failures_stop_with_one_line_naming_images_and_classes(validation, capsys):
    workspace, runtime, settings = validation
    image = build_image(workspace, load_spec(FIXTURES / "class-3-user-mismatch"))
    with pytest.raises(UserError, match=r"validation failed for class-3-user-mismatch \(class 3"):
        validate_images(workspace.client, [image], runtime, settings, use_record=False)
    out = capsys.readouterr().out
    assert "FAIL class-3-user-mismatch: class 3 (UID/GID is not the image's user)" in out
    assert "Fix: end the Dockerfile with USER 1000:100" in out


def test_every_shipped_space_image_passes_with_the_shipped_lifecycle_scripts(validation, space,
                                                                           settings):
    workspace, _, _ = validation
    findings = validate_image(workspace.client, space, None, settings)     # the project's lifecycle/
    assert failing_classes(findings) == set(), [f.line(space.spec.name) for f in findings]
    assert [f for f in findings if f.cls == 11] == []       # not even a warning


@pytest.mark.parametrize("case", sorted(SPACE_FAILURES))
def test_each_space_fixture_is_caught_as_class_9_with_what_went_wrong(validation, build_fixture,
                                                                      case, capsys):
    _, _, settings = validation
    settings = replace(settings, validate_space_ready_timeout=15)   # the wrong path never answers
    findings = validate_image(validation[0].client, build_fixture(case), None, settings)
    lines = [f.line(case) for f in findings]
    assert failing_classes(findings) == {9}, lines
    assert SPACE_FAILURES[case].lower() in " ".join(lines).lower(), lines
    if case == "class-9-entrypoint-exits":      # the app's own last lines are shown
        assert "config file /etc/jupyter/missing.py not found" in capsys.readouterr().err


def test_a_variable_studio_overrides_is_a_class_9_warning(validation, build_fixture):
    workspace, _, settings = validation
    image = build_fixture("class-9-overrides-studio-variable")
    findings = validate_image(workspace.client, image, None, settings)
    assert failing_classes(findings) == set()
    assert [(f.cls, f.warning) for f in findings if "SAGEMAKER_APP_TYPE" in f.evidence] == [(9, True)]


LIFECYCLE_FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "lifecycle"
# case → (time limit, what its FAIL line says or None, the warnings' words)
LIFECYCLE_CASES = {
    "exits-1": (60, "exited with code 1 after", []),
    "past-limit": (3, "ran past the time limit of 3 s", []),
    "missing-tool": (60, "exited with code 127", []),
    "good": (60, None, []),
    "slow-and-writes-home": (6, None, ["more than half the time limit of 6 s",
                                       "writes 1 file(s) under the home /home/sagemaker-user "
                                       "(.config/team/settings)"]),
}


@pytest.mark.parametrize("case", sorted(LIFECYCLE_CASES))
def test_each_lifecycle_script_is_run_in_the_image_as_class_11(validation, python_basic, case,
                                                               capsys):
    workspace, runtime, settings = validation
    limit, failure, warnings = LIFECYCLE_CASES[case]
    settings = replace(settings, lifecycle_dir=LIFECYCLE_FIXTURES / case, lifecycle_timeout=limit)
    findings = validate_image(workspace.client, python_basic, runtime, settings)
    lines = [f.line("python-basic") for f in findings]
    fails = [line for line in lines if line.startswith("FAIL")]
    if failure is None:
        assert fails == [], lines
    else:
        assert len(fails) == 1 and failure in fails[0] and "class 11 (" in fails[0], lines
    assert sorted(w for w in warnings if any(w in line for line in lines)) == sorted(warnings), \
        lines
    assert len([f for f in findings if f.warning and f.cls == 11]) == len(warnings), lines
    if case == "missing-tool":
        assert "Fix: the image has no `conda`" in fails[0], lines
    if case == "exits-1":
        assert "Could not resolve host: config.example.internal" in fails[0], lines
    # exit, duration and last line are reported for every run
    assert "python-basic: lifecycle script setup: " in capsys.readouterr().out
