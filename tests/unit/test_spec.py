from pathlib import Path

import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.errors import UserError
from studio_containers.spec import load_spec, load_specs
from tests.helpers import shipped_images

GOOD = """\
name: demo
display_name: Demo
app_type: KernelGateway
platform: linux/amd64
kernels:
  - name: python3
    display_name: Python 3
user: {uid: 1000, gid: 100}
mount_path: /home/sagemaker-user
"""


def make(tmp_path: Path, text: str, name: str = "demo", dockerfile: bool = True) -> Path:
    folder = tmp_path / "images" / name
    folder.mkdir(parents=True)
    (folder / "image.yaml").write_text(text)
    if dockerfile:
        (folder / "Dockerfile").write_text("FROM scratch\n")
    return folder


def error_of(tmp_path, text, **kw) -> str:
    with pytest.raises(UserError) as info:
        load_spec(make(tmp_path, text, **kw))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_good_spec_loads_every_field(tmp_path):
    spec = load_spec(make(tmp_path, GOOD))
    assert (spec.name, spec.display_name, spec.app_type, spec.platform) == \
        ("demo", "Demo", "KernelGateway", "linux/amd64")
    assert [(k.name, k.display_name) for k in spec.kernels] == [("python3", "Python 3")]
    assert (spec.uid, spec.gid, spec.mount_path) == (1000, 100, "/home/sagemaker-user")


def test_defaults(tmp_path):
    spec = load_spec(make(tmp_path, "name: demo\nkernels: [{name: python3}]\n"))
    assert spec.display_name == "demo" and spec.kernels[0].display_name == "python3"
    assert (spec.uid, spec.gid, spec.mount_path, spec.platform) == (1000, 100, "/home/sagemaker-user", "linux/amd64")


def test_root_user_is_allowed(tmp_path):
    assert load_spec(make(tmp_path, GOOD.replace("{uid: 1000, gid: 100}", "{uid: 0, gid: 0}"))).uid == 0


def test_the_shipped_images_are_found():
    assert "python-basic" in shipped_images()   # the example `./inv local` runs


@pytest.mark.parametrize("image", shipped_images())
def test_each_shipped_image_loads_with_its_folders_name(image):
    spec = load_spec(PROJECT_ROOT / "images" / image)
    assert spec.name == image and spec.dockerfile.is_file() and (spec.kernels or spec.is_space)


@pytest.mark.parametrize("change, field, words", [
    (("name: demo", "name: -demo"), "name", "SageMaker ImageName"),
    (("name: demo", "name: other"), "name", "folder"),
    (("name: demo", "name: 12"), "name", "must be a string"),
    (("display_name: Demo", "display_name: ' Demo'"), "display_name", "leading"),
    (("app_type: KernelGateway", "app_type: JupyterServer"), "app_type", "allowed: KernelGateway"),
    (("platform: linux/amd64", "platform: linux/arm64"), "platform", "linux/amd64"),
    (("{uid: 1000, gid: 100}", "{uid: 70000, gid: 100}"), "user.uid", "0-65535"),
    (("{uid: 1000, gid: 100}", "{uid: '1000', gid: 100}"), "user.uid", "integer"),
    (("{uid: 1000, gid: 100}", "{uid: true, gid: 100}"), "user.uid", "integer"),
    (("{uid: 1000, gid: 100}", "{uid: 1000}"), "user.gid", "required"),
    (("{uid: 1000, gid: 100}", "{uid: 1000, gid: 100, shell: bash}"), "user.shell", "unknown field"),
    (("mount_path: /home/sagemaker-user", "mount_path: home"), "mount_path", "absolute"),
    (("mount_path: /home/sagemaker-user", "mount_path: /"), "mount_path", "below /"),
    (("mount_path: /home/sagemaker-user", "mount_path: /opt/ml/home"), "mount_path", "reserves"),
    (("  - name: python3", "  - name: 'py 3'"), "kernels[0].name", "kernelspec name"),
    (("    display_name: Python 3", "    display_nam: Python 3"), "kernels[0].display_nam", "unknown field"),
    (("platform: linux/amd64", "platfrom: linux/amd64"), "platfrom", "unknown field"),
])
def test_bad_field_names_file_and_field(tmp_path, change, field, words):
    message = error_of(tmp_path, GOOD.replace(*change))
    assert message.startswith(str(tmp_path / "images" / "demo" / "image.yaml") + f": {field}: ")
    assert words in message


def test_kernels_missing_empty_or_duplicated(tmp_path):
    head = GOOD.split("kernels:")[0]
    assert "kernels: is required" in error_of(tmp_path / "a", head)
    assert "non-empty list" in error_of(tmp_path / "b", head + "kernels: []\n")
    dup = head + "kernels: [{name: python3}, {name: Python3}]\n"
    assert "kernels[1].name: 'Python3' is listed twice" in error_of(tmp_path / "c", dup)


def test_unparsable_yaml_names_the_line(tmp_path):
    message = error_of(tmp_path, "name: demo\nkernels: [\n")
    assert "not valid YAML" in message and "line" in message


def test_empty_and_non_mapping_files(tmp_path):
    assert "is empty" in error_of(tmp_path / "a", "")
    assert "must be a mapping" in error_of(tmp_path / "b", "- a\n- b\n")


def test_missing_spec_and_dockerfile(tmp_path):
    folder = tmp_path / "images" / "demo"
    folder.mkdir(parents=True)
    with pytest.raises(UserError, match="image.yaml: spec file missing"):
        load_spec(folder)
    (folder / "image.yaml").write_text(GOOD)
    with pytest.raises(UserError, match="Dockerfile: missing"):
        load_spec(folder)


def test_unknown_image_lists_known_ones(tmp_path):
    make(tmp_path, GOOD)
    with pytest.raises(UserError, match=r"--image 'nope': no such image .* known: demo"):
        load_specs(tmp_path / "images", "nope")
    assert [s.name for s in load_specs(tmp_path / "images", "demo")] == ["demo"]


SPACE = """\
name: demo
display_name: Demo space
app_type: JupyterLab
container_config:
  entrypoint: [jupyter-lab]
  arguments: ["--ServerApp.base_url=/jupyterlab/default", "--ServerApp.token="]
  environment: {MY_SETTING: "on"}
"""


@pytest.mark.parametrize("app_type, base_path", [("JupyterLab", "/jupyterlab/default"),
                                                 ("CodeEditor", "/CodeEditor/default")])
def test_a_space_image_runs_as_studio_fixes_it(tmp_path, app_type, base_path):
    spec = load_spec(make(tmp_path, SPACE.replace("JupyterLab", app_type)))
    assert spec.is_space and spec.base_path == base_path
    assert (spec.uid, spec.gid, spec.mount_path, spec.kernels) == (1000, 100, "/home/sagemaker-user", ())
    assert spec.container_config.entrypoint == ("jupyter-lab",)
    assert spec.container_config.arguments[1] == "--ServerApp.token="
    assert spec.container_config.environment == (("MY_SETTING", "on"),)
    plain = load_spec(make(tmp_path / "plain", f"name: demo\napp_type: {app_type}\n"))
    assert plain.container_config is None     # the image's own ENTRYPOINT/CMD


def test_a_kernel_gateway_image_has_no_base_path():
    from tests.helpers import made_up_spec
    assert not made_up_spec().is_space and made_up_spec().base_path is None


@pytest.mark.parametrize("text, field, words", [
    (SPACE + "kernels: [{name: python3}]\n", "kernels", "does not apply to JupyterLab images (a space image serves its own kernels"),
    (SPACE + "user: {uid: 1000, gid: 100}\n", "user", "always runs as uid 1000, gid 100"),
    (SPACE + "mount_path: /home/other\n", "mount_path", "always /home/sagemaker-user"),
    (GOOD + "container_config: {entrypoint: [x]}\n", "container_config",
     "does not apply to KernelGateway images (Studio runs its own Kernel Gateway"),
    (SPACE.replace("[jupyter-lab]", "[a, b]"), "container_config.entrypoint", "has 2 items; Studio takes at most 1"),
    (SPACE.replace("[jupyter-lab]", "['" + "x" * 257 + "']"), "container_config.entrypoint[0]", "1-256 characters"),
    (SPACE.replace("[jupyter-lab]", "['  ']"), "container_config.entrypoint[0]", "not blank"),
    (SPACE.replace("[jupyter-lab]", "jupyter-lab"), "container_config.entrypoint", "must be a list"),
    (SPACE.replace('"--ServerApp.token="', "'" + "a" * 65 + "'"), "container_config.arguments[1]", "1-64 characters"),
    (SPACE.replace('"--ServerApp.token="', ", ".join(["x"] * 50)), "container_config.arguments", "has 51 items; Studio takes at most 50"),
    (SPACE.replace('{MY_SETTING: "on"}', "{MY_SETTING: on}"), "container_config.environment.MY_SETTING", "must be a string, got bool True (quote it"),
    (SPACE.replace('{MY_SETTING: "on"}', "{" + ", ".join(f"V{i}: x" for i in range(26)) + "}"), "container_config.environment", "has 26 variables; Studio takes at most 25"),
    (SPACE.replace('{MY_SETTING: "on"}', "{V: '" + "v" * 257 + "'}"), "container_config.environment.V", "at most 256"),
    (SPACE.replace('{MY_SETTING: "on"}', "[A, B]"), "container_config.environment", "must be a mapping"),
    (SPACE.replace("  environment", "  enviroment"), "container_config.enviroment", "unknown field"),
])
def test_bad_space_fields_name_the_file_and_field(tmp_path, text, field, words):
    message = error_of(tmp_path, text)
    assert message.startswith(str(tmp_path / "images" / "demo" / "image.yaml") + f": {field}: "), message
    assert words in message, message


def test_build_arguments_and_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folder = make(tmp_path, GOOD + "build:\n  args: {PYTHON_VERSION: '3.10', EXTRAS: ''}\n"
                              "  secrets:\n    - {id: pipconf, file: ~/.config/pip/pip.conf}\n"
                              "    - {id: index-token, env: INDEX_TOKEN}\n"
                              "    - {id: npmrc, file: ../../npmrc}\n")
    spec = load_spec(folder)
    assert spec.build.args == (("PYTHON_VERSION", "3.10"), ("EXTRAS", ""))
    pipconf, token, npmrc = spec.build.secrets
    assert (pipconf.id, pipconf.file, pipconf.env) == ("pipconf", tmp_path / "home/.config/pip/pip.conf", None)
    assert (token.file, token.env) == (None, "INDEX_TOKEN")
    assert npmrc.file == tmp_path / "npmrc"     # relative to the image folder
    assert pipconf.field == f"{folder / 'image.yaml'}: build.secrets[0]"
    assert load_spec(make(tmp_path / "b", GOOD)).build.args == ()


@pytest.mark.parametrize("text, field, words", [
    ("build: [x]\n", "build", "must be a mapping"),
    ("build: {target: x}\n", "build.target", "unknown field; allowed: args, secrets"),
    ("build: {args: {PYTHON_VERSION: 3.10}}\n", "build.args.PYTHON_VERSION", "must be a string, got float 3.1 (quote it"),
    ("build: {args: {1X: a}}\n", "build.args.1X", "letters, digits and '_'"),
    ("build: {args: {BASE_IMAGE: a}}\n", "build.args.BASE_IMAGE", "cannot be set here (the tool sets it to build.base_image"),
    ("build: {args: {BUILDKIT_INLINE_CACHE: '0'}}\n", "build.args.BUILDKIT_INLINE_CACHE", "reserves BUILDKIT_"),
    ("build: {args: [a]}\n", "build.args", "must be a mapping of NAME: value"),
    ("build: {secrets: {id: x}}\n", "build.secrets", "must be a list"),
    ("build: {secrets: [{id: x}]}\n", "build.secrets[0]", "exactly one source: file (a path) or env"),
    ("build: {secrets: [{id: x, file: a, env: B}]}\n", "build.secrets[0]", "exactly one source"),
    ("build: {secrets: [{id: 'a b', env: B}]}\n", "build.secrets[0].id", "1-128 letters, digits"),
    ("build: {secrets: [{id: a, env: B}, {id: a, env: C}]}\n", "build.secrets[1].id", "listed twice"),
    ("build: {secrets: [{id: a, env: 'B-C'}]}\n", "build.secrets[0].env", "not an environment variable name"),
    ("build: {secrets: [{id: a, file: pip.conf}]}\n", "build.secrets[0].file", "inside the image folder"),
    ("build: {secrets: [{id: a, file: 'sub/../pip.conf'}]}\n", "build.secrets[0].file", "inside the image folder"),
    ("build: {secrets: [{id: a, path: x}]}\n", "build.secrets[0].path", "unknown field"),
])
def test_bad_build_fields_name_the_file_and_field(tmp_path, text, field, words):
    message = error_of(tmp_path, GOOD + text)
    assert message.startswith(str(tmp_path / "images" / "demo" / "image.yaml") + f": {field}: "), message
    assert words in message, message
