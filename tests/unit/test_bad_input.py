"""The bad-input corpus: image.yaml, task flags, INVOKE_* variables and settings files.

Every case goes through Invoke's own entry point, as `invoke` runs it (tests/unit/invoke_batch.py
runs them all in one process), with a Docker engine that cannot answer (DOCKER_HOST is a socket
that does not exist) and a state folder, cache folder and home folder of its own. Each must end
with a non-zero exit and exactly one line naming the file, field, flag or setting and what is
allowed, no traceback, and nothing written: its state folder (the local AWS, Terraform's
folders, the session record) is never made, and no file of the corpus changes. An input that was
checked only after the engine was asked would show the engine's error instead of its own.

Generated cases (hypothesis, a fixed budget, derandomized) add wrong types for each image.yaml
field, through the loader and through the CLI. The local AWS API's cases are in
localaws/test_bad_requests.py.
"""
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from studio_containers import PROJECT_ROOT
from studio_containers.errors import UserError
from studio_containers.localaws.daemon import Daemon
from studio_containers.ports import free_port
from studio_containers.spec import load_spec
from studio_containers.studio import NAME_RE

DEAD_ENGINE = "unix:///nonexistent.sock"
DEAD_PROXY = "http://127.0.0.1:9"
BUDGET = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
KG = "name: NAME\nkernels:\n  - {name: python3, display_name: Python 3}\n"
LAB = "name: NAME\napp_type: JupyterLab\n"
TASKS = ("build", "validate", "push", "local", "up")


@dataclass
class Case:
    id: str
    argv: list[str]
    expect: tuple[str, ...]             # what the one line must say ({root}: the corpus folder)
    env: dict[str, str] = field(default_factory=dict)
    prefix: str = "error: "
    search_root: str | None = None      # another project folder (its own invoke.yaml)


# image.yaml: (folder, the spec's text or bytes (NAME: the folder), field named, what is said).

def _bomb(levels: int = 10) -> str:
    """Billion laughs: each anchor a list of nine aliases of the one before (9**10 leaves)."""
    lines = ["name: NAME", "kernels:",
             "  - {name: k0, display_name: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]}"]
    for i in range(1, levels):
        lines.append(f"  - {{name: k{i}, display_name: &l{i} [" +
                     ", ".join([f"*l{i - 1}"] * 9) + "]}")
    # user is checked before kernels: its uid is the whole bomb.
    lines.append(f"user: {{uid: *l{levels - 1}, gid: 100}}")
    return "\n".join(lines) + "\n"


SPECS = [
    ("s-empty", "", "(file)", "is empty"),
    ("s-only-comment", "# nothing\n", "(file)", "is empty"),
    ("s-list", "- name: s-list\n- kernels: []\n", "(top level)", "must be a mapping, got list"),
    ("s-scalar", "just some text\n", "(top level)", "must be a mapping, got str"),
    ("s-not-utf8", b"name: caf\xe9\n", "cannot be read", "utf-8"),
    ("s-garbage", "\x00\x07\x1b[31m garbage", "(file)", "not valid YAML"),
    ("s-bad-yaml", "name: [unclosed\n", "line 2", "not valid YAML"),
    ("s-python-object", "name: !!python/object:os.system x\n", "line 1",
     "could not determine a constructor"),
    ("s-python-apply", "!!python/object/apply:os.system ['touch {root}/pwned']\n", "line 1",
     "could not determine a constructor"),
    ("s-binary-tag", "name: !!binary aGVsbG8=\n", "name", "must be a string, got bytes"),
    ("s-alias-bomb", _bomb(), "user.uid", "must be an integer, got list"),
    ("s-deep-nesting", "name: " + "[" * 600 + "]" * 600 + "\n", "(file)", "nested too deeply"),
    ("s-self-alias", "name: NAME\nkernels: &k [*k]\n", "kernels[0]", "must be a mapping, got list"),
    ("s-name-missing", "display_name: X\nkernels: [{name: py}]\n", "name", "is required"),
    ("s-name-yes", "name: yes\n", "name", "must be a string, got bool True"),
    ("s-name-int", "name: 12345\n", "name", "must be a string, got int 12345"),
    ("a" * 64, KG, "name", "must be 1-63 letters, digits or inner hyphens"),
    ("s_underscore", KG, "name", "must be 1-63 letters, digits or inner hyphens"),
    ("-s-leading-hyphen", KG, "name", "must be 1-63 letters, digits or inner hyphens"),
    ("s-trailing-", KG, "name", "must be 1-63 letters, digits or inner hyphens"),
    ("s-café", KG, "name", "must be 1-63 letters, digits or inner hyphens"),
    ("s-name-newline", 'name: "s-name-newline\\n"\nkernels: [{name: py}]\n', "name",
     "must be 1-63 letters"),
    ("s-name-mismatch", KG.replace("NAME", "other-name"), "name",
     "must equal the image folder's name 's-name-mismatch'"),
    ("s-display-padded", KG + "display_name: ' Padded '\n", "display_name",
     "1-128 characters without leading or trailing spaces"),
    ("s-display-long", KG + f"display_name: {'D' * 129}\n", "display_name", "1-128 characters"),
    ("s-display-list", KG + "display_name: [a, b]\n", "display_name", "must be a string, got list"),
    ("s-app-type-unknown", KG + "app_type: Jupyter\n", "app_type",
     "allowed: KernelGateway, JupyterLab, CodeEditor"),
    ("s-app-type-on", KG + "app_type: on\n", "app_type", "must be a string, got bool True"),
    ("s-platform-arm", KG + "platform: linux/arm64\n", "platform", "Studio runs linux/amd64 only"),
    ("s-kernels-missing", "name: NAME\n", "kernels", "is required"),
    ("s-kernels-empty", "name: NAME\nkernels: []\n", "kernels", "must be a non-empty list"),
    ("s-kernels-six", "name: NAME\nkernels: [" + ", ".join(f"{{name: k{i}}}" for i in range(6))
     + "]\n", "kernels", "has 6 kernels; Studio takes at most 5"),
    ("s-kernels-mapping", "name: NAME\nkernels: {name: py}\n", "kernels",
     "must be a non-empty list"),
    ("s-kernel-name-space", "name: NAME\nkernels: [{name: py 3}]\n", "kernels[0].name",
     "must be a kernelspec name"),
    ("s-kernel-name-int", "name: NAME\nkernels: [{name: 3}]\n", "kernels[0].name",
     "must be a string, got int"),
    ("s-kernel-twice", "name: NAME\nkernels: [{name: Python3}, {name: python3}]\n",
     "kernels[1].name", "is listed twice"),
    ("s-kernel-display-long", f"name: NAME\nkernels: [{{name: py, display_name: {'K' * 1025}}}]\n",
     "kernels[0].display_name", "1-1024 characters"),
    ("s-kernel-unknown", "name: NAME\nkernels: [{name: py, argv: [python]}]\n", "kernels[0].argv",
     "unknown field; allowed: display_name, name"),
    ("s-uid-true", KG + "user: {uid: true, gid: 100}\n", "user.uid", "must be an integer, got bool"),
    ("s-gid-on", KG + "user: {uid: 1000, gid: on}\n", "user.gid", "must be an integer, got bool"),
    ("s-uid-huge", KG + "user: {uid: 99999999999999999999999, gid: 100}\n", "user.uid",
     "is not a UID/GID Studio can use (0-65535)"),
    ("s-uid-negative", KG + "user: {uid: -1, gid: 100}\n", "user.uid", "(0-65535)"),
    ("s-uid-float", KG + "user: {uid: 1000.0, gid: 100}\n", "user.uid",
     "must be an integer, got float"),
    ("s-uid-string", KG + "user: {uid: '1000', gid: 100}\n", "user.uid",
     "must be an integer, got str"),
    ("s-user-list", KG + "user: [1000, 100]\n", "user", "must be a mapping, got list"),
    ("s-mount-relative", KG + "mount_path: home/user\n", "mount_path", "must be an absolute path"),
    ("s-mount-root", KG + "mount_path: /\n", "mount_path", "must be a folder below /"),
    ("s-mount-reserved", KG + "mount_path: /opt/ml/home\n", "mount_path",
     "inside /opt/ml, which Studio reserves"),
    ("s-mount-yes", KG + "mount_path: yes\n", "mount_path", "must be an absolute path string"),
    ("s-unknown-field", KG + "colour: blue\n", "colour", "unknown field; allowed: app_type"),
    ("s-space-kernels", LAB + "kernels: [{name: python3}]\n", "kernels",
     "does not apply to JupyterLab images"),
    ("s-space-user", LAB.replace("JupyterLab", "CodeEditor") + "user: {uid: 1000, gid: 100}\n",
     "user", "does not apply to CodeEditor images"),
    ("s-kg-container-config", KG + "container_config: {}\n", "container_config",
     "does not apply to KernelGateway images"),
    ("s-entrypoint-string", LAB + "container_config: {entrypoint: jupyter lab}\n",
     "container_config.entrypoint", "must be a list of strings, got str"),
    ("s-entrypoint-two", LAB + "container_config: {entrypoint: [jupyter, lab]}\n",
     "container_config.entrypoint", "has 2 items; Studio takes at most 1"),
    ("s-argument-long", LAB + f"container_config: {{arguments: [{'x' * 65}]}}\n",
     "container_config.arguments[0]", "must be a string of 1-64 characters"),
    ("s-argument-int", LAB + "container_config: {arguments: [8888]}\n",
     "container_config.arguments[0]", "8888 must be a string"),
    ("s-environment-list", LAB + "container_config: {environment: [A=1]}\n",
     "container_config.environment", "must be a mapping of NAME: value, got list"),
    ("s-environment-false", LAB + "container_config: {environment: false}\n",
     "container_config.environment", "must be a mapping of NAME: value, got bool"),
    ("s-environment-yes", LAB + "container_config: {environment: {DEBUG: yes}}\n",
     "container_config.environment.DEBUG", "must be a string, got bool True (quote it"),
    ("s-environment-blank", LAB + "container_config: {environment: {' ': x}}\n",
     "container_config.environment", "a variable name must be 1-256 characters, not blank"),
    ("s-container-unknown", LAB + "container_config: {cmd: [x]}\n", "container_config.cmd",
     "unknown field; allowed: arguments, entrypoint, environment"),
    ("s-build-arg-float", KG + "build: {args: {PYTHON_VERSION: 3.10}}\n", "build.args.PYTHON_VERSION",
     "must be a string, got float 3.1 (quote it"),
    ("s-build-arg-base", LAB + "build: {args: {BASE_IMAGE: x}}\n", "build.args.BASE_IMAGE",
     "cannot be set here"),
    ("s-build-secret-inside", KG + "build: {secrets: [{id: pipconf, file: pip.conf}]}\n",
     "build.secrets[0].file", "inside the image folder"),
    ("s-build-secret-two-sources", KG + "build: {secrets: [{id: a, file: /x, env: Y}]}\n",
     "build.secrets[0]", "give exactly one source"),
    ("s-build-unknown", KG + "build: {cache_from: [x]}\n", "build.cache_from",
     "unknown field; allowed: args, secrets"),
]
NO_DOCKERFILE, NO_SPEC = "s-no-dockerfile", "s-no-spec"
# Fine for Studio (build, validate, local), more than the Terraform provider plans: `up` refuses.
UP_TWO_KERNELS = "s-up-two-kernels"


def _spec_cases() -> list[Case]:
    cases = []
    for index, (folder, _, where, said) in enumerate(SPECS):
        task = TASKS[index % len(TASKS)]
        cases.append(Case(f"spec:{folder[:24]}", [task, f"--image={folder}"],
                          (f"{{root}}/images/{folder}/image.yaml: {where}", said)))
    cases.append(Case(f"spec:{NO_DOCKERFILE}", ["build", "--image", NO_DOCKERFILE],
                      (f"{{root}}/images/{NO_DOCKERFILE}/Dockerfile: missing",)))
    cases.append(Case(f"spec:{NO_SPEC}", ["validate", "--image", NO_SPEC],
                      (f"{{root}}/images/{NO_SPEC}/image.yaml: spec file missing",)))
    cases.append(Case(f"spec:{UP_TWO_KERNELS}", ["up", "--image", UP_TWO_KERNELS],
                      (f"{{root}}/images/{UP_TWO_KERNELS}/image.yaml: kernels: 2 kernels; `up` "
                       "deploys 1 per KernelGateway image",)))
    # `status` reads every spec: the first folder (in name order) is the one named.
    cases.append(Case("spec:status-reads-all", ["status"],
                      ("{root}/images/-s-leading-hyphen/image.yaml: name: '-s-leading-hyphen'",)))
    return cases


FLAG_CASES = [
    Case("flag:port-abc", ["local", "--image", "ok", "--port", "abc"],
         ("--port: 'abc' is not a port; allowed: 1-65535",)),
    Case("flag:port-70000", ["local", "--image", "ok", "--port", "70000"],
         ("--port: '70000' is not a port; allowed: 1-65535",)),
    Case("flag:port-0", ["local", "--image", "ok", "--port", "0"], ("--port: '0' is not a port",)),
    Case("flag:port-negative", ["local", "--image", "ok", "--port=-1"],
         ("--port: '-1' is not a port",)),
    Case("flag:port-fraction", ["local", "--image", "ok", "--port", "8888.5"],
         ("--port: '8888.5' is not a port",)),
    Case("flag:port-is-gateway", ["local", "--image", "ok", "--port", "40123"],
         ("--port 40123: local.gateway_port is 40123 too",),
         env={"INVOKE_LOCAL_GATEWAY_PORT": "40123"}),
    Case("flag:local-image-unknown", ["local", "--image", "nope"],
         ("--image 'nope': no such image under {root}/images/; known: ",)),
    Case("flag:local-image-parent", ["local", "--image", "../images/ok"],
         ("--image '../images/ok': no such image",)),
    Case("flag:build-image-slash", ["build", "--image", "ok/"], ("--image 'ok/': no such image",)),
    Case("flag:build-image-empty", ["build", "--image="], ("--image '': no such image",)),
    Case("flag:validate-image-abs", ["validate", "--image", "/etc"],
         ("--image '/etc': no such image",)),
    Case("flag:push-image-unknown", ["push", "--image", "nope"], ("--image 'nope': no such image",)),
    Case("flag:up-target", ["up", "--target", "nowhere"],
         ("--target nowhere: unknown target; allowed: local, aws",)),
    Case("flag:down-target", ["down", "--target", "moon"], ("--target moon: unknown target",)),
    Case("flag:status-target-case", ["status", "--target", "AWS"], ("--target AWS: unknown target",)),
    Case("flag:up-aws-no-domain", ["up", "--target", "aws"],
         ("deploy.domain_id: required for --target aws",)),
    Case("flag:up-image-unknown", ["up", "--image", "nope"], ("--image 'nope': no such image",)),
    Case("flag:rollback-version-word", ["rollback", "--image", "ok", "--version", "latest"],
         ("--version latest: must be a version number (1, 2, …)",)),
    Case("flag:rollback-version-0", ["rollback", "--image", "ok", "--version", "0"],
         ("--version 0: must be a version number",)),
    Case("flag:rollback-version-huge", ["rollback", "--image", "ok", "--version", "99999999999"],
         ("--version 99999999999: must be a version number",)),
    Case("flag:rollback-image-path", ["rollback", "--image", "../x", "--version", "1"],
         ("--image '../x': not an image name",)),
    Case("flag:rollback-not-deployed", ["rollback", "--image", "ok", "--version", "1"],
         ("--image ok: not deployed by this stack on local (deployed: none)",)),
    Case("flag:rollback-target", ["rollback", "--image", "ok", "--version", "1", "--target", "x"],
         ("--target x: unknown target",)),
    Case("flag:studio-user-underscore", ["studio", "--user", "bad_name"],
         ("--user: 'bad_name' is not a SageMaker name",)),
    Case("flag:studio-user-hyphen", ["studio", "--user=-lead"],
         ("--user: '-lead' is not a SageMaker name",)),
    Case("flag:studio-user-newline", ["studio", "--user", "ana\n"],
         ("--user: 'ana\\n' is not a SageMaker name",)),
    Case("flag:studio-user-empty", ["studio", "--user="], ("--user: '' is not a SageMaker name",)),
    Case("flag:studio-space-space", ["studio", "--space", "my space"],
         ("--space: 'my space' is not a SageMaker name",)),
    Case("flag:studio-image-without-space", ["studio", "--image", "ok"],
         ("--image: only with --space",)),
    Case("flag:studio-image-bad", ["studio", "--space", "s", "--image", "bad_img"],
         ("--image: 'bad_img' is not a SageMaker name",)),
    Case("flag:test-pytest-args", ["test", "--unit", "--pytest-args", "-k 'unclosed"],
         ("--pytest-args \"-k 'unclosed\": No closing quotation",)),
    Case("flag:bench-unknown", ["bench", "--only", "nope"],
         ("unknown benchmark nope; known: local, validate, deploy",)),
    Case("flag:unknown-flag", ["local", "--bogus"], ("No idea what '--bogus' is!",), prefix=""),
    Case("flag:missing-value", ["local", "--port"], ("port (p)> needed value and was not given one",), prefix=""),
    Case("flag:missing-positional", ["rollback"], ("did not receive required positional",),
         prefix=""),
    Case("flag:unknown-task", ["deploy"], ("No idea what 'deploy' is!",), prefix=""),
    Case("flag:local-lifecycle-unknown", ["local", "--image", "ok", "--lifecycle", "nope"],
         ("--lifecycle 'nope': no lifecycle script", "known: install-package")),
    Case("flag:local-lifecycle-app-type", ["local", "--image", "ok", "--lifecycle",
                                           "install-package"],
         ("--lifecycle install-package: ", "is for JupyterLab apps, and ok is a KernelGateway "
          "image")),
    Case("flag:import-image-name", ["import", "--image", "bad_x"],
         ("--image 'bad_x': not a SageMaker image name",)),
    Case("flag:import-image-exists", ["import", "--image", "ok"],
         ("{root}/images/ok: already exists; a folder is never",)),
    Case("flag:import-target", ["import", "--target", "moon"], ("--target moon: unknown target",)),
    Case("flag:new-existing", ["new", "ok"], ("{root}/images/ok: already exists; a folder is never",)),
    Case("flag:new-name", ["new", "my_image"], ("NAME 'my_image': must be 1-63 letters",)),
    Case("flag:new-app-type", ["new", "x", "--app-type", "JupyterServer"],
         ("--app-type 'JupyterServer': not one invoke new makes; allowed: KernelGateway, "
          "JupyterLab, CodeEditor",)),
    Case("flag:new-from-missing", ["new", "x", "--from", "/nonexistent/c.json"],
         ("--from /nonexistent/c.json: no such file",)),
    Case("flag:new-from-not-json", ["new", "x", "--from", "{root}/images/ok/image.yaml"],
         ("--from {root}/images/ok/image.yaml: line 1 column 1: not valid JSON",)),
]


def _env_case(name: str, task: list[str], variable: str, value: str, *expect: str) -> Case:
    return Case(f"env:{name}", task, expect, env={variable: value})


ENV_CASES = [
    _env_case("local-port-abc", ["local", "--stop"], "INVOKE_LOCAL_PORT", "abc",
              "local.port: 'abc' is not a port; allowed: 1-65535"),
    _env_case("local-port-70000", ["aws.status"], "INVOKE_LOCAL_PORT", "70000",
              "local.port: '70000' is not a port"),
    _env_case("gateway-port-negative", ["local"], "INVOKE_LOCAL_GATEWAY_PORT", "-5",
              "local.gateway_port: '-5' is not a port; allowed: 0-65535 (0 = any free port)"),
    _env_case("aws-region-mars", ["aws.start"], "INVOKE_AWS_REGION", "mars",
              "aws.region: 'mars' is not an AWS region name (e.g. us-east-1)"),
    _env_case("aws-region-upper", ["up"], "INVOKE_AWS_REGION", "US-EAST-1",
              "aws.region: 'US-EAST-1' is not an AWS region name"),
    _env_case("max-size-negative", ["validate"], "INVOKE_VALIDATE_MAX_SIZE_GB", "-1",
              "validate.max_size_gb: -1.0 must be a size in GB greater than 0"),
    _env_case("max-size-nan", ["validate"], "INVOKE_VALIDATE_MAX_SIZE_GB", "nan",
              "validate.max_size_gb: nan must be a size in GB greater than 0"),
    _env_case("warn-size-inf", ["up"], "INVOKE_VALIDATE_WARN_SIZE_GB", "inf",
              "validate.warn_size_gb: inf must be a finite number"),
    _env_case("parallelism-0", ["up"], "INVOKE_DEPLOY_PARALLELISM", "0",
              "deploy.parallelism: 0 must be a whole number of at least 1"),
    _env_case("parallelism-fraction", ["down"], "INVOKE_DEPLOY_PARALLELISM", "2.5",
              "deploy.parallelism: '2.5' must be a whole number of at least 1"),
    _env_case("keep-last-ten", ["status"], "INVOKE_DEPLOY_KEEP_LAST_IMAGES", "ten",
              "deploy.keep_last_images: 'ten' must be a whole number"),
    _env_case("tcp-nodelay-maybe", ["local"], "INVOKE_LOCAL_TCP_NODELAY", "maybe",
              "local.tcp_nodelay: 'maybe' must be true or false"),
    _env_case("prefix-upper", ["push"], "INVOKE_AWS_REPOSITORY_PREFIX", "UPPER",
              "aws.repository_prefix: 'UPPER' is not an ECR repository path (lowercase"),
    _env_case("prefix-double-slash", ["up"], "INVOKE_AWS_REPOSITORY_PREFIX", "a//b",
              "aws.repository_prefix: 'a//b' is not an ECR repository path"),
    _env_case("stack-space", ["up"], "INVOKE_DEPLOY_STACK", "has space",
              "deploy.stack: 'has space' is not a usable tag value"),
    _env_case("target-nowhere", ["up"], "INVOKE_DEPLOY_TARGET", "nowhere",
              "deploy.target: 'nowhere' is not a target; allowed: local, aws"),
    _env_case("domain-id-bad", ["up"], "INVOKE_DEPLOY_DOMAIN_ID", "my domain",
              "deploy.domain_id: 'my domain' is not a Studio domain id"),
    _env_case("ready-timeout-0", ["local"], "INVOKE_LOCAL_READY_TIMEOUT", "0",
              "local.ready_timeout: 0.0 must be a number of seconds greater than 0"),
    _env_case("start-timeout-word", ["aws.start"], "INVOKE_AWS_START_TIMEOUT", "soon",
              "aws.start_timeout: 'soon' must be a number of seconds"),
    _env_case("space-timeout-negative", ["validate"], "INVOKE_VALIDATE_SPACE_READY_TIMEOUT", "-3",
              "validate.space_ready_timeout: -3.0 must be a number of seconds greater than 0"),
    _env_case("aws-port-0", ["aws.start"], "INVOKE_AWS_PORT", "0",
              "aws.port: '0' is not a port; allowed: 1-65535"),
    _env_case("lifecycle-two-defaults", ["up", "--image", "ok"], "INVOKE_LIFECYCLE_DIR",
              str(PROJECT_ROOT / "tests" / "fixtures" / "lifecycle" / "two-defaults"),
              "lifecycle scripts a, b all say `default: true` for JupyterLab apps; a domain runs "
              "one by default: keep it on one"),
    Case("env:registry-port-is-aws-port", ["aws.start"],
         ("aws.registry_port: 40124 is aws.port too; the API and the registry need a port each",),
         env={"INVOKE_AWS_PORT": "40124", "INVOKE_AWS_REGISTRY_PORT": "40124"}),
    _env_case("state-dir-empty", ["local", "--stop"], "INVOKE_STATE_DIR", "",
              "state_dir: '' must be a folder path"),
    _env_case("state-dir-file", ["aws.stop"], "INVOKE_STATE_DIR", "{root}/a-file",
              "state_dir: {root}/a-file is a file, not a folder"),
    _env_case("home-dir-file", ["local"], "INVOKE_LOCAL_HOME_DIR", "{root}/a-file",
              "local.home_dir: {root}/a-file is a file, not a folder"),
    _env_case("images-dir-missing", ["build"], "INVOKE_IMAGES_DIR", "{root}/no-images",
              "{root}/no-images: images folder not found (setting images_dir)"),
    _env_case("ca-certs-missing", ["up"], "INVOKE_BUILD_EXTRA_CA_CERTS", "{root}/missing.pem",
              "build.extra_ca_certs: {root}/missing.pem does not exist"),
    _env_case("ca-certs-not-pem", ["status"], "INVOKE_BUILD_EXTRA_CA_CERTS", "{root}/a-file",
              "build.extra_ca_certs: {root}/a-file is not a PEM certificate"),
    _env_case("base-image-bad", ["build"], "INVOKE_BUILD_BASE_IMAGE", "Not An Image!",
              "build.base_image: 'Not An Image!' is not an image reference"),
    _env_case("network-bad", ["build"], "INVOKE_BUILD_NETWORK", "my net",
              "build.network: 'my net' is not a Docker network name"),
    _env_case("mirror-bad", ["build"], "INVOKE_BUILD_DEBIAN_MIRROR", "deb.debian.org",
              "build.debian_mirror: 'deb.debian.org' is not a mirror URL"),
    _env_case("builder-bad", ["build"], "INVOKE_BUILD_BUILDER", "kaniko",
              "build.builder: 'kaniko' is not a builder; allowed: auto, buildkit, legacy"),
    _env_case("registry-mirror-bad", ["push"], "INVOKE_BUILD_REGISTRY_MIRROR", "https://mirror.example",
              "build.registry_mirror: 'https://mirror.example' is not a registry"),
    _env_case("registry-cache-bad", ["up"], "INVOKE_BUILD_REGISTRY_CACHE", "maybe",
              "build.registry_cache: 'maybe' must be true or false"),
    _env_case("local-image-unknown", ["local"], "INVOKE_LOCAL_IMAGE", "nope",
              "local.image 'nope': no such image under {root}/images/"),
    _env_case("max-size-below-warn", ["validate"], "INVOKE_VALIDATE_MAX_SIZE_GB", "10",
              "validate.warn_size_gb: 20 is above validate.max_size_gb (10)"),
]


# Settings files given with -f: (name, text or bytes, what the one line says).
SETTINGS_FILES = [
    ("list", "- local\n- aws\n", "{file}: must be a mapping of settings (as in invoke.yaml), got list"),
    ("section-int", "local: 5\n", "{file}: local: must be a section of settings (local.<setting>: value), got int 5"),
    ("backend-str", "deploy:\n  backend: s3\n", "{file}: deploy.backend: must be a section of settings"),
    ("port-section", "local:\n  port: {number: 8890}\n", "{file}: local.port: must be a single value, not a section"),
    ("bad-yaml", "local:\n  port: [8890\n", "{file}: line 3: not valid YAML"),
    ("not-utf8", b"local:\n  image: caf\xe9\n", "{file}: cannot be read: 'utf-8' codec can't decode"),
    ("python-tag", "local: !!python/object/apply:os.system ['true']\n", "{file}: line 1: not valid YAML"),
    ("state-dir-int", "state_dir: 5\n", "state_dir: 5 must be a folder path"),
    ("images-dir-list", "images_dir: [a, b]\n", "images_dir: ['a', 'b'] must be a folder path"),
    ("port-yes", "local:\n  port: yes\n", "local.port: True is not a port; allowed: 1-65535"),
    ("port-float", "aws:\n  port: 5566.0\n", "aws.port: 5566.0 is not a port"),
    ("nodelay-2", "local:\n  tcp_nodelay: 2\n", "local.tcp_nodelay: 2 must be true or false"),
    ("network-nat", "local:\n  network: nat\n", "local.network: 'nat' must be one of auto, bridge, host, slirp4netns"),
    ("network-access", "local:\n  network_access: private\n",
     "local.network_access: 'private' must be one of PublicInternetOnly, VpcOnly"),
    ("parallelism-true", "deploy:\n  parallelism: true\n", "deploy.parallelism: True must be a whole number"),
    ("max-size-nan", "validate:\n  max_size_gb: .nan\n", "validate.max_size_gb: nan must be a size in GB"),
    ("backend-nested", "deploy:\n  backend: {bucket: [a, b]}\n",
     "deploy.backend.bucket: ['a', 'b'] must be a single value"),
    ("local-image-int", "local:\n  image: 5\n", "local.image: 5 must be an image folder name"),
    ("ca-certs-int", "build:\n  extra_ca_certs: 5\n", "build.extra_ca_certs: must be 'auto', 'none' or a list of PEM files, got 5"),
    ("target-int", "deploy:\n  target: 5\n", "deploy.target: 5 is not a target; allowed: local, aws"),
    ("profile-list", "deploy:\n  aws_profile: [dev, prod]\n",
     "deploy.aws_profile: ['dev', 'prod'] is not an AWS profile name"),
    ("endpoint-scheme", "deploy:\n  endpoint_url: ftp://127.0.0.1:1\n",
     "deploy.endpoint_url: 'ftp://127.0.0.1:1' is not an endpoint URL"),
    ("endpoint-path", "deploy:\n  endpoint_url: http://127.0.0.1:1/x y\n",
     "deploy.endpoint_url: 'http://127.0.0.1:1/x y' is not an endpoint URL"),
    ("lock-timeout-negative", "deploy:\n  lock_timeout: -1\n",
     "deploy.lock_timeout: -1 must be a number of seconds greater than 0"),
    ("lock-timeout-str", "deploy:\n  lock_timeout: forever\n",
     "deploy.lock_timeout: 'forever' must be a number of seconds greater than 0"),
    ("deep", "local: " + "[" * 600 + "]" * 600 + "\n", "{file}: nested too deeply to be a settings file"),
    ("region-bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
     "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
     "aws:\n  region: *h\n", "{file}: holds more than 100000 values once its YAML aliases are expanded"),
    ("self-alias", "local: &l [*l]\n", "{file}: holds more than 100000 values"),
    ("unknown-key", "local:\n  prot: 8890\n", "{file}: local.prot: unknown setting; allowed: "
     "gateway_port, home_dir, image, network, network_access, port, ready_timeout, tcp_nodelay"),
    ("unknown-top-key", "stat_dir: /tmp/x\n", "{file}: stat_dir: unknown setting; allowed: aws, "
     "build, cache_dir, deploy, images_dir, lifecycle_dir, local, state_dir, validate (and "
     "Invoke's own: run,"),
    ("warn-above-max", "validate:\n  warn_size_gb: 30\n", "validate.warn_size_gb: 30 is above "
     "validate.max_size_gb (25); the warning must come at or below the limit"),
]
# ~/.invoke.yaml files: (name, text, what the one line says after the file's path).
USER_FILES = [
    ("unknown-key", "deploy:\n  paralelism: 5\n", "deploy.paralelism: unknown setting; allowed: "
     "aws_profile, backend, domain_id, endpoint_url, keep_last_images, lock_timeout, parallelism"),
]
SETTINGS_TASKS = ("local", "up", "build", "aws.start", "status", "validate", "push", "down")


def _settings_file_cases() -> list[Case]:
    cases = [Case("file:missing", ["-f", "{root}/files/missing.yaml", "up"],
                  ("-f {root}/files/missing.yaml: no such settings file",)),
             Case("file:txt", ["-f", "{root}/files/settings.txt", "local"],
                  ("{root}/files/settings.txt: cannot be read: Config files of type 'txt'",))]
    for index, (name, _, said, *task) in enumerate(SETTINGS_FILES):
        path = f"{{root}}/files/{name}.yaml"
        task = task[0] if task else SETTINGS_TASKS[index % len(SETTINGS_TASKS)]
        cases.append(Case(f"file:{name}", ["-f", path, task], (said.replace("{file}", path),)))
    # ~/.invoke.yaml (HOME is the case's): Invoke reads it first, for every project; a key of
    # this project's sections that names no setting is refused, naming the file.
    for name, _, said in USER_FILES:
        home = f"{{root}}/users/{name}"
        cases.append(Case(f"file:user-{name}", ["local", "--stop"],
                          (f"{home}/.invoke.yaml: {said}",), env={"HOME": home}))
    return cases


# A project folder of its own (tasks.py runs the real one): its invoke.yaml is the project's.
PROJECT_FILES = [
    ("bad-yaml", "local: {port: 8888\n", "{root}/projects/bad-yaml/invoke.yaml: line 2: not valid YAML"),
    ("list", "- 1\n- 2\n", "{root}/projects/list/invoke.yaml: must be a mapping of settings"),
    ("section-int", "local: 5\n", "local: must be a section of settings (local.<setting>: value), got int 5"),
    ("backend-str", "deploy: {backend: nope}\n", "deploy.backend: must be a mapping (bucket, key, region"),
    ("unknown-key", "build: {base_image: x, bilder: legacy}\n",
     "{root}/projects/unknown-key/invoke.yaml: build.bilder: unknown setting; allowed: base_image,"),
]
PROJECT_CASES = [Case(f"project:{name}", ["local"], (said,), search_root=f"{{root}}/projects/{name}")
                 for name, _, said in PROJECT_FILES]

CASES = _spec_cases() + FLAG_CASES + ENV_CASES + _settings_file_cases() + PROJECT_CASES
OK_SPEC = "name: ok\nkernels:\n  - {name: python3, display_name: Python 3}\n"


def _write(path: Path, content) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _make_corpus(root: Path) -> None:
    images = root / "images"
    for folder, text, _, _ in SPECS:
        text = text.replace("NAME", folder).replace("{root}", str(root)) \
            if isinstance(text, str) else text
        _write(images / folder / "image.yaml", text)
        _write(images / folder / "Dockerfile", "FROM scratch\n")
    _write(images / NO_DOCKERFILE / "image.yaml", KG.replace("NAME", NO_DOCKERFILE))
    _write(images / NO_SPEC / "Dockerfile", "FROM scratch\n")
    _write(images / UP_TWO_KERNELS / "image.yaml",
           f"name: {UP_TWO_KERNELS}\nkernels: [{{name: python3}}, {{name: ir}}]\n")
    _write(images / UP_TWO_KERNELS / "Dockerfile", "FROM scratch\n")
    _write(images / "ok" / "image.yaml", OK_SPEC)
    _write(images / "ok" / "Dockerfile", "FROM scratch\n")
    for name, text, *_ in SETTINGS_FILES:
        _write(root / "files" / f"{name}.yaml", text)
    _write(root / "files" / "settings.txt", "local: {port: 8890}\n")
    for name, text, _ in USER_FILES:
        _write(root / "users" / name / ".invoke.yaml", text)
    tasks = f"import runpy\nns = runpy.run_path({str(PROJECT_ROOT / 'tasks.py')!r})['ns']\n"
    for name, text, _ in PROJECT_FILES:
        _write(root / "projects" / name / "invoke.yaml", text)
        _write(root / "projects" / name / "tasks.py", tasks)
    _write(root / "a-file", "not a folder\n")
    (root / "home").mkdir()


def _case_env(root: Path, case: Case, ports: tuple[int, int]) -> dict[str, str]:
    own = root / "cases" / _slug(case.id)
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(root / "home"), "LANG": "C.UTF-8",
        "DOCKER_HOST": DEAD_ENGINE,
        # Nothing of a bad input may go out; were a case to get that far, it fails at once.
        "HTTP_PROXY": DEAD_PROXY, "HTTPS_PROXY": DEAD_PROXY, "http_proxy": DEAD_PROXY,
        "https_proxy": DEAD_PROXY, "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "INVOKE_STATE_DIR": str(own / "state"), "INVOKE_CACHE_DIR": str(own / "cache"),
        "INVOKE_LOCAL_HOME_DIR": str(own / "home"), "INVOKE_IMAGES_DIR": str(root / "images"),
        "INVOKE_LOCAL_IMAGE": "ok",
        "INVOKE_AWS_PORT": str(ports[0]), "INVOKE_AWS_REGISTRY_PORT": str(ports[1]),
    }
    env.update({k: v.replace("{root}", str(root)) for k, v in case.env.items()})
    return env


def _slug(case_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in case_id)


def _tree(root: Path) -> dict[str, tuple]:
    return {str(p.relative_to(root)): (p.is_dir(), p.stat().st_size if p.is_file() else 0,
                                       p.stat().st_mtime_ns)
            for p in root.rglob("*")}


def run_batch(root: Path, cases: list[Case]) -> dict[str, dict]:
    ports = (free_port(), free_port())
    while ports[1] == ports[0]:
        ports = (ports[0], free_port())
    batch = [{"id": c.id,
              "argv": ["--search-root",
                       (c.search_root or str(PROJECT_ROOT)).replace("{root}", str(root)),
                       *[a.replace("{root}", str(root)) for a in c.argv]],
              "env": _case_env(root, c, ports)} for c in cases]
    results_file = root / "results.json"
    try:
        subprocess.run([sys.executable, "-m", "tests.unit.invoke_batch", str(results_file)],
                       input=json.dumps(batch), text=True, cwd=PROJECT_ROOT, check=True,
                       timeout=300)
        return json.loads(results_file.read_text())
    finally:
        results_file.unlink(missing_ok=True)
        _stop_any_local_aws(root)


def _stop_any_local_aws(root: Path) -> None:
    # Only a bug starts one (its test then fails); it must not outlive the test.
    for folder in root.glob("cases/*/state/aws"):
        for name, marker in (("registry", "docker-registry"), ("server", "localaws.server")):
            Daemon(name, folder, marker).stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-input")
    _make_corpus(root)
    before = _tree(root)
    results = run_batch(root, CASES)
    return root, results, before, _tree(root)


def assert_refused(root: Path, case: Case, result: dict) -> str:
    """The case's checks; returns its one line."""
    output = result["stdout"] + result["stderr"]
    assert "Traceback" not in output, output
    assert result["code"] != 0, output
    lines = [line for line in result["stderr"].splitlines() if line.strip()]
    assert len(lines) == 1 and not result["stdout"].strip(), output
    line = lines[0]
    assert line.startswith(case.prefix), line
    for expected in case.expect:
        assert expected.replace("{root}", str(root)) in line, line
    own = root / "cases" / _slug(case.id)
    assert not own.exists(), f"{case.id} wrote {sorted(str(p) for p in own.rglob('*'))}"
    return line


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_naming_it_and_nothing_is_written(corpus, case):
    root, results, _, _ = corpus
    assert_refused(root, case, results[case.id])


def test_the_corpus_covers_every_surface_and_wrote_nothing(corpus):
    root, results, before, after = corpus
    assert after == before      # no file of any case's folders, images or settings files changed
    assert not (root / "pwned").exists()        # !!python/object/apply was never run
    surfaces = {c.id.split(":")[0] for c in CASES}
    assert surfaces == {"spec", "flag", "env", "file", "project"}
    assert len({c.id for c in CASES}) == len(CASES) >= 60


def test_an_alias_bomb_is_refused_at_once(corpus):
    root, results, _, _ = corpus
    for case_id in ("spec:s-alias-bomb", "file:region-bomb"):
        assert results[case_id]["seconds"] < 2, results[case_id]


@pytest.mark.parametrize("case_id", ["spec:s-uid-true", "env:tcp-nodelay-maybe", "file:section-int"])
def test_the_batch_runner_answers_as_the_real_command(tmp_path, case_id):
    """A case run in the batch answers as `python -m invoke` in a process of its own does."""
    _make_corpus(tmp_path)
    case = next(c for c in CASES if c.id == case_id)
    argv = [a.replace("{root}", str(tmp_path)) for a in case.argv]
    done = subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT),
                           *argv], env=_case_env(tmp_path, case, (free_port(), free_port())),
                          capture_output=True, text=True, timeout=60)
    batched = run_batch(tmp_path, [case])[case.id]
    assert (done.returncode, done.stdout, done.stderr) == \
        (batched["code"], batched["stdout"], batched["stderr"])


# Generated image.yaml cases: one field of a valid spec given a value of the wrong type.

NOT_STRINGS = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False),
                        st.lists(st.integers(), min_size=1, max_size=3),
                        st.dictionaries(st.sampled_from("abc"), st.integers(), min_size=1,
                                        max_size=2),
                        st.binary(min_size=1, max_size=6))
NOT_IDS = st.one_of(st.booleans(), st.floats(), st.text(max_size=5), st.integers(max_value=-1),
                    st.integers(min_value=65536), st.lists(st.integers(), max_size=2))
NOT_LISTS = st.one_of(st.booleans(), st.integers(), st.text(max_size=5),
                      st.dictionaries(st.sampled_from("xy"), st.integers(), max_size=2))
NOT_MAPPINGS = st.one_of(st.booleans(), st.integers(), st.text(max_size=5),
                         st.lists(st.integers(), max_size=2))


def _kernel_gateway(name: str) -> dict:
    return {"name": name, "display_name": "Demo", "app_type": "KernelGateway",
            "platform": "linux/amd64", "kernels": [{"name": "python3", "display_name": "Python 3"}],
            "user": {"uid": 1000, "gid": 100}, "mount_path": "/home/sagemaker-user"}


def _space(name: str) -> dict:
    return {"name": name, "app_type": "JupyterLab",
            "container_config": {"entrypoint": ["jupyter-lab"], "arguments": ["--port", "8888"],
                                 "environment": {"A": "1"}}}


def _set(spec: dict, path: tuple, value) -> dict:
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return spec


# (how the message names it, where it is in the spec, the base spec, wrong values)
MUTATIONS = [
    ("name", ("name",), _kernel_gateway, NOT_STRINGS),
    ("display_name", ("display_name",), _kernel_gateway, NOT_STRINGS),
    ("app_type", ("app_type",), _kernel_gateway, NOT_STRINGS),
    ("platform", ("platform",), _kernel_gateway, NOT_STRINGS),
    ("kernels", ("kernels",), _kernel_gateway, NOT_LISTS),
    ("kernels[0]", ("kernels", 0), _kernel_gateway, NOT_MAPPINGS),
    ("kernels[0].name", ("kernels", 0, "name"), _kernel_gateway, NOT_STRINGS),
    ("kernels[0].display_name", ("kernels", 0, "display_name"), _kernel_gateway, NOT_STRINGS),
    ("user", ("user",), _kernel_gateway, NOT_MAPPINGS),
    ("user.uid", ("user", "uid"), _kernel_gateway, NOT_IDS),
    ("user.gid", ("user", "gid"), _kernel_gateway, NOT_IDS),
    ("mount_path", ("mount_path",), _kernel_gateway, NOT_STRINGS),
    ("container_config", ("container_config",), _space, NOT_MAPPINGS),
    ("container_config.entrypoint", ("container_config", "entrypoint"), _space, NOT_LISTS),
    ("container_config.entrypoint[0]", ("container_config", "entrypoint", 0), _space, NOT_STRINGS),
    ("container_config.arguments", ("container_config", "arguments"), _space, NOT_LISTS),
    ("container_config.arguments[1]", ("container_config", "arguments", 1), _space, NOT_STRINGS),
    ("container_config.environment", ("container_config", "environment"), _space, NOT_MAPPINGS),
    ("container_config.environment.A", ("container_config", "environment", "A"), _space,
     NOT_STRINGS),
]


@st.composite
def bad_specs(draw, name: str = "demo"):
    """(the field the message must name, the spec's YAML)."""
    field_name, path, base, wrong = draw(st.sampled_from(MUTATIONS))
    value = draw(wrong)
    return field_name, yaml.safe_dump(_set(base(name), path, value))


@st.composite
def bad_names(draw):
    """(a name SageMaker refuses, the spec's YAML): too long, '_', leading hyphen, unicode..."""
    name = draw(st.one_of(
        st.text(min_size=1, max_size=80),
        st.text(alphabet="ab-_.é9 ", min_size=1, max_size=70),
        st.just("x" * 64), st.just("-lead"), st.just("trail-"), st.just("under_score")))
    assume(not NAME_RE.fullmatch(name))
    return "name", yaml.safe_dump(_set(_kernel_gateway("demo"), ("name",), name))


def _refusal(folder: Path, text: str) -> str:
    (folder / "image.yaml").write_text(text)
    with pytest.raises(UserError) as info:
        load_spec(folder)
    return str(info.value)


@BUDGET
@given(case=st.one_of(bad_specs(), bad_names()))
def test_generated_wrong_types_are_named_with_their_field(case):
    field_name, text = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        folder.mkdir()
        (folder / "Dockerfile").write_text("FROM scratch\n")
        message = _refusal(folder, text)
    assert "\n" not in message and len(message) < 600
    assert f"demo/image.yaml: {field_name}:" in message, (message, text)


def test_generated_wrong_types_through_the_cli(tmp_path):
    """A derandomized sample of the generated cases, run as `invoke build --image gen-N`."""
    collected: list[tuple[str, str]] = []

    @settings(max_examples=30, deadline=None, derandomize=True, database=None)
    @given(case=bad_specs(name="NAME"))
    def collect(case):
        collected.append(case)
    collect()
    _make_corpus(tmp_path)
    cases = []
    for index, (field_name, text) in enumerate(collected):
        folder = f"gen-{index}"
        _write(tmp_path / "images" / folder / "image.yaml", text.replace("NAME", folder))
        _write(tmp_path / "images" / folder / "Dockerfile", "FROM scratch\n")
        cases.append(Case(f"gen:{index}", [TASKS[index % len(TASKS)], "--image", folder],
                          (f"{{root}}/images/{folder}/image.yaml: {field_name}:",)))
    results = run_batch(tmp_path, cases)
    assert len(cases) >= 20
    for case in cases:
        assert_refused(tmp_path, case, results[case.id])
