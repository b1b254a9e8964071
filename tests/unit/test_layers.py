"""The package's layers (docs/architecture.md): every import, at a module's top or inside a
function, goes to a lower layer or stays inside its own package; `invoke local` (local/) and the
local AWS (localaws/) both start apps through runtime/ and never import each other; and the
packages and single modules import one another without a cycle."""
import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from studio_containers import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "studio_containers"
# Lowest first. A layer's units may import any unit of a lower layer; units of one layer are
# peers and import none of each other, except that single modules of the foundations may import
# one another (checked for cycles below).
LAYERS = (
    {"__init__", "errors", "console", "wait", "files", "host", "processes", "ports",
     "tornado_thread", "studio", "spec", "spec_yaml", "app_image_config", "image_folder",
     "lifecycle_spec", "certs",
     "settings"},
    {"build"},
    {"runtime"},        # the one layer that runs apps: containers, lab, front, network, credentials
    {"validate"},
    {"pipeline"},
    {"local", "localaws"},
    {"deploy"},
    {"tasks", "cli_process"},
)
FOUNDATIONS = LAYERS[0]


def unit_of(module: str) -> str:
    """A package under studio_containers/, or a single module of it."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(module: str, path: Path) -> list[tuple[str, str | None, int]]:
    """Every studio_containers import of `module`, anywhere in it: (module imported from, a
    name imported from it or None, line). Relative imports resolved; one past the package's
    top is kept as it is (and so refused as unknown)."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                parts = package.split(".")
                if node.level > len(parts):
                    target = "." * node.level + target
                else:
                    base = parts[:len(parts) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
            found += [(target, alias.name, node.lineno) for alias in node.names]
    return [(t, name, line) for t, name, line in found
            if t.split(".")[0] in ("studio_containers", "") or t.startswith(".")]


def edges() -> list[tuple[str, str, str, int]]:
    """(from unit, to unit, from module, line) for every import between two units."""
    known = modules()
    found = set()
    for module, path in known.items():
        for target, name, line in imports(module, path):
            # `from x import name`: the module x.name where it is one, else a name of x.
            dest = f"{target}.{name}" if f"{target}.{name}" in known else target
            if dest not in known:
                continue        # test_every_import_names_a_module_that_exists says so
            source, dest = unit_of(module), unit_of(dest)
            if source != dest:
                found.add((source, dest, module, line))
    return sorted(found)


def layer_of(unit: str) -> int:
    for number, layer in enumerate(LAYERS):
        if unit in layer:
            return number
    raise AssertionError(f"studio_containers/{unit} is in no layer of {__name__}.LAYERS")


def test_every_import_names_a_module_that_exists():
    """So that no import escapes the checks below by a path they cannot place."""
    known = modules()
    unknown = [f"{module}:{line} imports {target}"
               for module, path in known.items()
               for target, _, line in imports(module, path) if target not in known]
    assert not unknown, "\n".join(unknown)


def test_relative_imports_are_read_at_every_level(tmp_path):
    source = tmp_path / "app.py"
    source.write_text("from . import lab\nfrom .. import errors\nfrom ..build.engine import x\n"
                      "def f():\n    from ...elsewhere import y\n    import studio_containers.wait\n")
    assert imports("studio_containers.local.app", source) == [
        ("studio_containers.local", "lab", 1), ("studio_containers", "errors", 2),
        ("studio_containers.build.engine", "x", 3), ("...elsewhere", "y", 5),
        ("studio_containers.wait", None, 6)]


def test_every_unit_has_a_layer():
    for module in modules():
        layer_of(unit_of(module))


def test_no_import_goes_up_or_sideways():
    wrong = []
    for source, dest, module, line in edges():
        low, high = layer_of(dest), layer_of(source)
        if low > high or (low == high and source not in FOUNDATIONS):
            wrong.append(f"{module}:{line} imports {dest} ({LAYERS[low]} is not below "
                         f"{LAYERS[high]})")
    assert not wrong, "\n".join(wrong)


def test_no_cycle_between_units():
    graph = defaultdict(set)
    for source, dest, _, _ in edges():
        graph[source].add(dest)
    done, path = set(), []

    def visit(unit):
        if unit in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(unit):] + [unit]))
        if unit in done:
            return
        path.append(unit)
        for dest in sorted(graph[unit]):
            visit(dest)
        path.pop()
        done.add(unit)
    for unit in sorted(graph):
        visit(unit)


def test_local_and_the_local_aws_start_apps_through_the_runtime_alone():
    between = [(s, d, m, line) for s, d, m, line in edges() if {s, d} == {"local", "localaws"}]
    assert not between
    for package in ("local", "localaws"):
        assert any(s == package and m.endswith(("local.app", "apps.launcher"))
                   and d == "runtime" for s, d, m, _ in edges()), package


@pytest.mark.parametrize("source, dest, expected", [
    ("local", "localaws", "imports localaws"),       # peers
    ("runtime", "local", "imports local"),          # up
    ("build", "runtime", "imports runtime"),
])
def test_the_check_catches_a_wrong_import(monkeypatch, source, dest, expected):
    """The checks above would fail if such an import came back."""
    made_up = (source, dest, f"studio_containers.{source}.made_up", 1)
    monkeypatch.setattr(sys.modules[__name__], "edges", lambda: [made_up])
    with pytest.raises(AssertionError, match=expected):
        test_no_import_goes_up_or_sideways()


def test_the_cycle_check_catches_a_cycle(monkeypatch):
    cycle = [("errors", "console", "studio_containers.errors", 1),
             ("console", "errors", "studio_containers.console", 1)]
    monkeypatch.setattr(sys.modules[__name__], "edges", lambda: cycle)
    with pytest.raises(AssertionError, match="import cycle: console -> errors -> console"):
        test_no_cycle_between_units()
