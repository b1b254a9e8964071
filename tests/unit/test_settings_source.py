"""invoke.yaml is the one source of the settings' defaults: settings.py's table (FIELDS) lists
the same keys, docs/settings.md's table the same keys and values, and Settings built from no
config at all are the project's settings."""
import re

import pytest
import yaml
from invoke import Config

from studio_containers import PROJECT_ROOT, settings
from studio_containers.settings import KEYS, Settings, _unknown_key, default

INVOKE_YAML = yaml.safe_load((PROJECT_ROOT / "invoke.yaml").read_text())


def _leaves(data: dict, prefix: str = "") -> dict:
    """Dotted key -> value; an empty mapping ({} of deploy.backend) is a value, not a section."""
    found = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            found.update(_leaves(value, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = value
    return found


def _docs_table() -> dict[str, str]:
    """docs/settings.md's table of settings: key -> its default cell."""
    text = (PROJECT_ROOT / "docs" / "settings.md").read_text()
    section = text.split("\n## The settings\n", 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \| (.*?) \|", section, re.MULTILINE)
    assert len(rows) == len({key for key, _ in rows}), "a setting listed twice"
    return dict(rows)


def _cell_value(cell: str):
    """A default cell's value: its first `code` read as YAML; only an italic note (`*(apt's)*`,
    `*(none)*`) means empty."""
    code = re.match(r"`([^`]*)`", cell)
    if code:
        return yaml.safe_load(code.group(1))
    assert re.fullmatch(r"\*\([^)]*\)\*", cell), f"a default cell neither `value` nor *(note)*: {cell}"
    return ""


def test_invoke_yaml_lists_exactly_the_settings_of_the_table():
    leaves = set(_leaves(INVOKE_YAML))
    assert leaves - set(KEYS) == set(), "in invoke.yaml, not in settings.FIELDS"
    assert set(KEYS) - leaves == set(), "in settings.FIELDS, not in invoke.yaml"


def test_the_docs_table_lists_every_setting_with_invoke_yamls_default():
    table = _docs_table()
    assert set(table) == set(KEYS)
    wrong = {key: (cell, default(key)) for key, cell in table.items()
             if _cell_value(cell) != default(key)}
    assert wrong == {}, "docs/settings.md default cell (first) against invoke.yaml (second)"


def test_settings_of_an_empty_config_are_the_projects():
    project = Config(project_location=str(PROJECT_ROOT), lazy=True)
    project.load_project()
    assert Settings.from_config(Config(lazy=True)) == Settings.from_config(project)


def test_a_setting_invoke_yaml_lacks_is_a_bug_not_a_default(tmp_path, monkeypatch):
    data = yaml.safe_load((PROJECT_ROOT / "invoke.yaml").read_text())
    del data["local"]["port"]
    (tmp_path / "invoke.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setattr(settings, "DEFAULTS_FILE", tmp_path / "invoke.yaml")
    settings._defaults.cache_clear()
    try:
        with pytest.raises(LookupError, match="local.port: a setting without a default"):
            Settings.from_config(Config(lazy=True))
        given = Config(lazy=True, overrides={"local": {"port": 8890}})
        assert Settings.from_config(given).local_port == 8890       # given: no default needed
    finally:
        settings._defaults.cache_clear()


def test_unknown_keys_name_what_their_section_allows():
    assert _unknown_key({"local": {"port": 1, "prot": 2}}).startswith(
        "local.prot: unknown setting; allowed: gateway_port, home_dir, image,")
    assert _unknown_key({"stat_dir": "x"}).startswith("stat_dir: unknown setting; allowed: aws,")
    # Invoke's own sections are Invoke's; a shared file (~/.invoke.yaml) may serve other projects.
    assert _unknown_key({"run": {"echo": True}, "tasks": {"dedupe": False}}) is None
    assert _unknown_key({"docs": {"theme": "x"}, "stat_dir": "x"}, shared=True) is None
    assert _unknown_key({"docs": {}, "deploy": {"stak": "x"}}, shared=True).startswith(
        "deploy.stak: unknown setting")
