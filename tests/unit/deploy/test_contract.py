"""The Terraform/Python contract: every name deploy/contract.py uses still exists in terraform/.

terraform/ is read as text: top-level blocks by their labels, their attributes, and the object type
of variable "images", which is enough for the shapes it uses. Each way of breaking the contract is
tried on a copy, so the check is known to fail when it should.
"""
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from studio_containers.deploy import contract
from studio_containers.deploy.stack import SOURCE
from studio_containers.spec import load_spec
from tests.helpers import project_settings

# Strings' insides and comments, blanked so that brackets in them are not counted.
QUOTED_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\\n])*"|#[^\n]*|//[^\n]*')
BLOCK = re.compile(r'^(\w+)((?:[ \t]+"[^"]*")*)[ \t]*\{', re.M)
ADDRESS = re.compile(r"^(\w+)\.(\w+)(\[0\])?$")
ROLE_NAME = re.compile(r'substr\("\$\{var\.name\}([^"]*)",\s*0,\s*(\d+)\)')


@dataclass(frozen=True)
class Hcl:
    """A stretch of HCL, and the same stretch with strings and comments blanked."""
    text: str
    masked: str

    @classmethod
    def read(cls, folder: Path) -> "Hcl":
        text = "\n".join(path.read_text() for path in sorted(folder.glob("*.tf")))
        return cls(text, QUOTED_OR_COMMENT.sub(_blank, text))

    def blocks(self, kind: str) -> dict[tuple[str, ...], "Hcl"]:
        """Top-level blocks of one kind by their labels, e.g. ("aws_iam_role", "this") → body."""
        found = {}
        for match in BLOCK.finditer(self.masked):
            if match.group(1) == kind:
                labels = tuple(re.findall(r'"([^"]*)"', self.text[match.start(2):match.end(2)]))
                found[labels] = self._inside(match.end() - 1)
        return found

    def attributes(self) -> dict[str, "Hcl"]:
        """`name = value` at this level (not inside nested blocks or brackets), by name."""
        found, depth, start = {}, 0, 0
        for index, char in enumerate(self.masked + "\n"):
            if char in "({[":
                depth += 1
            elif char in ")}]":
                depth -= 1
            elif depth == 0 and char in ",\n":
                match = re.match(r"\s*(\w+)\s*=(?!=)", self.masked[start:index])
                if match:
                    found[match.group(1)] = self._slice(start + match.end(), index)
                start = index + 1
        return found

    def object_type(self) -> "Hcl":
        """The attributes' part of the first object({…}) in a type."""
        at = self.masked.index("object(")
        return self._inside(self.masked.index("{", at))

    @property
    def value(self) -> str:
        return self.text.strip()

    def _inside(self, opening: int) -> "Hcl":
        depth = 0
        for index in range(opening, len(self.masked)):
            depth += (self.masked[index] in "({[") - (self.masked[index] in ")}]")
            if depth == 0:
                return self._slice(opening + 1, index)
        raise ValueError(f"unclosed bracket in {self.text[opening:opening + 60]!r}")

    def _slice(self, start: int, end: int) -> "Hcl":
        return Hcl(self.text[start:end], self.masked[start:end])


def _blank(match: re.Match) -> str:
    found = match.group()
    if found.startswith('"'):
        return '"' + " " * (len(found) - 2) + '"'
    return " " * len(found)


def contract_problems(root: Path) -> list[str]:
    """What contract.py names that the configuration under `root` no longer has."""
    stack = Hcl.read(root / "stack")
    modules = stack.blocks("module")
    problems = []
    for module in (contract.REPOSITORY_MODULE, contract.IMAGE_MODULE):
        if (module,) not in modules:
            problems.append(f'module "{module}": not in terraform/stack')
        elif "for_each" not in modules[(module,)].attributes():
            problems.append(f'module "{module}": no for_each, but Python keys it by image name')
    for kind, (module, _) in contract.RESOURCES.items():
        if (module,) in modules:      # a missing module is reported above
            problems += _resource_problems(root, modules, kind)
    problems += _output_problems(stack)
    problems += _input_problems(stack)
    problems += _naming_problems(root, stack, modules)
    return problems


def _module_folder(root: Path, module: Hcl) -> Hcl:
    return Hcl.read(root / "stack" / _source(module))


def _source(module: Hcl) -> str:
    return module.attributes()["source"].value.strip('"')


def _resource(root: Path, modules: dict, kind: str) -> Hcl | None:
    """The resource block a contract address names, None when it (or its module) is gone."""
    module, address = contract.RESOURCES[kind]
    parsed = ADDRESS.match(address)
    if (module,) not in modules or not parsed:
        return None
    return _module_folder(root, modules[(module,)]).blocks("resource").get(parsed.group(1, 2))


def _resource_problems(root: Path, modules: dict, kind: str) -> list[str]:
    module, address = contract.RESOURCES[kind]
    parsed = ADDRESS.match(address)
    if not parsed:
        return [f"{kind}: {address} is not TYPE.NAME or TYPE.NAME[0]"]
    resource_type, name, index = parsed.groups()
    source = _source(modules[(module,)])
    block = _resource(root, modules, kind)
    if block is None:
        return [f'{kind}: {address} names resource "{resource_type}" "{name}", not in {source}']
    if index and "count" not in block.attributes():
        return [f'{kind}: {address} has [0] but resource "{resource_type}" "{name}" in {source} '
                "has no count"]
    return []


def _output_problems(stack: Hcl) -> list[str]:
    output = stack.blocks("output").get((contract.IMAGES_OUTPUT,))
    if output is None:
        return [f'output "{contract.IMAGES_OUTPUT}": not in terraform/stack']
    if not re.search(rf"\b{contract.IMAGE_VERSION}\s*=", output.attributes()["value"].masked):
        return [f'output "{contract.IMAGES_OUTPUT}": gives no {contract.IMAGE_VERSION}']
    return []


def _input_problems(stack: Hcl) -> list[str]:
    variables = stack.blocks("variable")
    declared = {labels[0]: block.attributes() for labels, block in variables.items()}
    problems = _compared("variable", set(_written_inputs()), set(declared),
                         {name for name, attrs in declared.items() if "default" not in attrs})
    if "images" not in declared:
        return problems
    image = declared["images"]["type"].object_type().attributes()
    kernel = image["kernels"].object_type().attributes() if "kernels" in image else {}
    written = _written_inputs()["images"]["a"]
    problems += _compared('variable "images" attribute', set(written), set(image),
                          {name for name, value in image.items()
                           if not value.value.startswith("optional(")})
    problems += _compared('variable "images" kernels attribute', set(written["kernels"][0]),
                          set(kernel), set(kernel))
    return problems


def _written_inputs() -> dict:
    spec = SimpleNamespace(app_type="KernelGateway", display_name="A",
                           kernels=[SimpleNamespace(name="k", display_name="K")],
                           mount_path="/home/sagemaker-user", uid=1000, gid=100)
    return contract.stack_inputs(
        region="r", local_endpoint=None, stack="s", repository_prefix="p", keep_last_images=1,
        repositories={"a"}, images={"a": contract.image_inputs(spec, "uri")})


def _compared(what: str, written: set[str], declared: set[str], required: set[str]) -> list[str]:
    return ([f"{what} {name}: Python writes it, Terraform does not declare it"
             for name in sorted(written - declared)]
            + [f"{what} {name}: Terraform requires it, Python does not write it"
               for name in sorted(required - written)])


def _naming_problems(root: Path, stack: Hcl, modules: dict) -> list[str]:
    problems = []
    if not re.search(rf'"{re.escape(contract.TAG)}"\s*=\s*var\.stack\b', stack.text):
        problems.append(f"tag {contract.TAG}: the stack does not tag with it = var.stack")
    for kind in ("repository", "image", "role"):     # the tags ownership.check reads
        block = _resource(root, modules, kind)
        if block is not None and block.attributes().get("tags", Hcl("", "")).value != "var.tags":
            problems.append(f"tag {contract.TAG}: the {kind} is not tagged with var.tags")
    for module in modules.values():
        # An adopted image keeps its other tags; the stack's tag comes last, so it always wins.
        if module.attributes().get("tags", Hcl("", "")).value not in (
                "local.tags", "merge(each.value.tags, local.tags)"):
            problems.append(f"tag {contract.TAG}: a module is not given local.tags")
    if (contract.REPOSITORY_MODULE,) in modules:
        problems += _repository_name_problems(modules[(contract.REPOSITORY_MODULE,)])
    if (contract.IMAGE_MODULE,) in modules:
        problems += _image_name_problems(root, modules)
    policy = _resource(root, modules, "role_policy")
    if policy is not None and policy.attributes()["name"].value != f'"{contract.ROLE_POLICY}"':
        problems.append(f"role policy {contract.ROLE_POLICY}: the module names it "
                        f"{policy.attributes()['name'].value}")
    return problems


def _repository_name_problems(module: Hcl) -> list[str]:
    made = (module.attributes()["name"].value.strip('"')
            .replace("${var.repository_prefix}", "PREFIX").replace("${each.key}", "NAME"))
    if made != contract.repository_name("PREFIX", "NAME"):
        return [f"repository name: the stack makes {made}, Python expects "
                f"{contract.repository_name('PREFIX', 'NAME')}"]
    return []


def _image_name_problems(root: Path, modules: dict) -> list[str]:
    module = modules[(contract.IMAGE_MODULE,)].attributes()
    problems = []
    # role_arn: only an adopted image's own role (null for every other image).
    if module["name"].value != "each.key" or "role_name" in module or module.get(
            "role_arn", Hcl("", "each.value.role_arn")).value != "each.value.role_arn":
        problems.append('image names: module "image" must get name = each.key and no role')
    for kind, attribute, named in (("image", "image_name", "var.name"), (
            "config", "app_image_config_name", "coalesce(var.app_image_config_name, var.name)")):
        block = _resource(root, modules, kind)
        if block is not None and block.attributes()[attribute].value != named:
            problems.append(f"image names: the {kind}'s {attribute} is not var.name")
    folder = _module_folder(root, modules[(contract.IMAGE_MODULE,)])
    role = _resource(root, modules, "role")
    rule = ROLE_NAME.search(folder.blocks("locals")[()].attributes()["role_name"].value)
    if rule is None or role is None or role.attributes()["name"].value != "local.role_name":
        return problems + ['role name: the role is not named substr("${var.name}…", 0, N)']
    suffix, limit = rule.group(1), int(rule.group(2))
    for name in ("a", "x" * 70):
        if contract.role_name(name) != (name + suffix)[:limit]:
            problems.append(f"role name: Python says {contract.role_name(name)}, Terraform "
                            f"makes {(name + suffix)[:limit]}")
    return problems


def test_terraform_has_every_name_python_uses():
    assert contract_problems(SOURCE) == []


def test_the_parser_sees_what_the_check_relies_on():
    module = Hcl.read(SOURCE / "modules" / "studio-image")
    role = module.blocks("resource")[("aws_iam_role", "this")].attributes()
    assert role["count"].value == "local.create_role ? 1 : 0"
    assert role["name"].value == "local.role_name"
    images = Hcl.read(SOURCE / "stack").blocks("variable")[("images",)].attributes()
    attributes = images["type"].object_type().attributes()
    assert set(attributes) == {"app_type", "display_name", "base_image", "kernels", "mount_path",
                               "uid", "gid", *contract.ADOPTED_INPUTS}
    assert set(attributes["kernels"].object_type().attributes()) == {"name", "display_name"}


@pytest.mark.parametrize("file, old, new, reported", [
    ("modules/studio-image/main.tf", 'resource "aws_iam_role" "this"',
     'resource "aws_iam_role" "main"',
     'aws_iam_role.this[0] names resource "aws_iam_role" "this", not in ../modules/studio-image'),
    ("modules/ecr-repository/main.tf",
     'resource "aws_ecr_lifecycle_policy" "this" {\n  count = var.create ? 1 : 0\n',
     'resource "aws_ecr_lifecycle_policy" "this" {\n', "aws_ecr_lifecycle_policy.this[0] has [0]"),
    ("stack/main.tf", 'module "image" {', 'module "images" {', 'module "image": not in'),
    ("stack/main.tf", "for_each = var.repositories", "", 'module "repository": no for_each'),
    ("stack/outputs.tf", "image_version         =", "version =", "gives no image_version"),
    ("stack/outputs.tf", 'output "images"', 'output "studio_images"', 'output "images": not in'),
    ("stack/variables.tf", 'variable "keep_last_images"', 'variable "keep_images"',
     "variable keep_last_images: Python writes it"),
    ("stack/variables.tf", 'variable "region" {', 'variable "region" {}\nvariable "zone" {',
     "variable zone: Terraform requires it"),
    ("stack/variables.tf", "mount_path   = string", "home_path = string",
     'variable "images" attribute mount_path: Python writes it'),
    ("stack/variables.tf", "display_name = string }", "title = string }",
     'variable "images" kernels attribute display_name: Python writes it'),
    ("modules/studio-image/main.tf", '-studio-image", 0, 64', '-image", 0, 64',
     "role name: Python says a-studio-image, Terraform makes a-image"),
    ("modules/studio-image/main.tf", '"ecr-pull"', '"pull"', "role policy ecr-pull"),
    ("stack/main.tf", '"studio-containers:stack" = var.stack', '"owner" = var.stack',
     "tag studio-containers:stack: the stack does not tag"),
    ("stack/main.tf", '"${var.repository_prefix}/${each.key}"',
     '"${var.repository_prefix}-${each.key}"', "repository name: the stack makes PREFIX-NAME"),
    ("modules/studio-image/main.tf",
     "app_image_config_name = coalesce(var.app_image_config_name, var.name)",
     'app_image_config_name = "${var.name}-config"', "the config's app_image_config_name"),
])
def test_a_broken_contract_is_reported(tmp_path, file, old, new, reported):
    copy = tmp_path / "terraform"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns(".terraform"))
    path = copy / file
    assert path.read_text().count(old) == 1, f"the mutation no longer applies to {file}"
    path.write_text(path.read_text().replace(old, new))
    problems = contract_problems(copy)
    assert any(reported in problem for problem in problems), problems


def test_image_inputs_come_from_the_spec():
    spec = load_spec(project_settings().images_dir / "python-basic")
    inputs = contract.image_inputs(spec, "r/x@sha256:" + "0" * 64)
    assert inputs == {"app_type": "KernelGateway", "display_name": spec.display_name, "base_image": "r/x@sha256:" + "0" * 64,
                      "kernels": [{"name": k.name, "display_name": k.display_name}
                                  for k in spec.kernels],
                      "mount_path": "/home/sagemaker-user", "uid": 1000, "gid": 100,
                      "role_arn": None, "description": None, "tags": {}, "repository_arn": None,
                      "app_image_config_name": None}


def test_state_addresses_and_names_read_back_from_them():
    at = contract.addresses("a")
    assert at["role"] == 'module.image["a"].aws_iam_role.this[0]'
    assert at["repository"] == 'module.repository["a"].aws_ecr_repository.this[0]'
    state = {at["role"]: {}, contract.addresses("b")["repository"]: {}}
    assert contract.names_in_state(state, contract.IMAGE_MODULE) == {"a"}
    assert contract.names_in_state(state, contract.REPOSITORY_MODULE) == {"b"}
    assert contract.image_version({"images": {"a": {"image_version": 3}}}, "a") == 3


def test_the_modules_checks_agree_with_studios_rules():
    """The module refuses at plan time what Studio refuses; both must say the same as studio.py."""
    from studio_containers import studio
    text = (SOURCE / "modules" / "studio-image" / "variables.tf").read_text()
    name = re.search(r'regex\("([^"]+)", var\.name\)', text).group(1)
    assert name.replace("\\\\", "\\") == studio.NAME_PATTERN
    allowed = {var: sorted(int(n) for n in re.search(
        rf"contains\(\[([\d, ]+)\], var\.{var}\)", text).group(1).split(","))
               for var in ("uid", "gid")}
    assert allowed == {"uid": sorted({uid for uid, _ in studio.ALLOWED_UID_GID}),
                       "gid": sorted({gid for _, gid in studio.ALLOWED_UID_GID})}
    pairs = " or ".join(f"{uid}/{gid}" for uid, gid in studio.ALLOWED_UID_GID)
    assert text.count(f"Studio accepts uid/gid {pairs} only.") == 2


def test_the_modules_kernel_limit_is_the_providers():
    """hashicorp/aws 3.39 plans at most one kernel_spec (checked with the real provider: "No more
    than 1 kernel_spec blocks are allowed"); the module and `up` refuse more, before the plan."""
    text = (SOURCE / "modules" / "studio-image" / "variables.tf").read_text()
    assert int(re.search(r"length\(var\.kernels\) <= (\d+)", text).group(1)) == \
        contract.PROVIDER_KERNELS


def test_up_refuses_more_kernels_than_the_provider_takes_before_the_target_opens(monkeypatch):
    from studio_containers.deploy import up as up_module
    from studio_containers.errors import UserError
    from studio_containers.spec import Kernel
    from tests.helpers import made_up_spec
    two = made_up_spec(kernels=(Kernel("python3", "Python 3"), Kernel("ir", "R")))
    monkeypatch.setattr(up_module, "check_inputs", lambda *args: None)
    monkeypatch.setattr(up_module, "load_specs", lambda *args: [two])
    monkeypatch.setattr(up_module, "open_target",
                        lambda *args: pytest.fail("the target opened before the check"))
    with pytest.raises(UserError, match=r"image.yaml: kernels: 2 kernels; `up` deploys 1 per "
                                        r"KernelGateway image"):
        up_module.up(SimpleNamespace(images_dir=Path("/nonexistent")), "local", None)
    one = made_up_spec()
    space = made_up_spec(name="lab", app_type="JupyterLab", kernels=())
    contract.check_deployable([one, space])     # what the provider takes passes
