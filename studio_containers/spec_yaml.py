"""image.yaml's text for spec data (the mapping `load_spec` reads), written the way a person
writes it: fields in the order the docs give them, a comment where a value needs one, plain
scalars where YAML reads them back unchanged. `invoke new` and `invoke import` write specs with
it; reading the text back gives the same data (tested both ways)."""
import json
import re
from typing import Any

import yaml

from .studio import APPS

# Plain scalars only where YAML cannot take them for something else; everything else is written
# as a JSON string, which YAML reads back as the same string.
# (No ",": these scalars are also items of flow lists.)
_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9 _./@()+=-]*")
_COMMENT_AT = 35        # the column the shipped image.yaml files align comments on


def spec_text(data: dict, heading: str = "") -> str:
    """image.yaml for `data`; `heading`: comment lines to put first (where the spec came from)."""
    lines = [f"# {line}".rstrip() for line in heading.splitlines()]
    lines.append("# The one spec of this image; every task (build, local, validate, deploy) "
                 "reads it.")
    lines.append(_line("name", data["name"], "SageMaker ImageName and AppImageConfigName"))
    for key in ("display_name", "app_type", "platform"):
        if key in data:
            lines.append(_line(key, data[key], _app_note(data[key]) if key == "app_type" else ""))
    if "kernels" in data:
        lines.append("kernels:")
        for index, kernel in enumerate(data["kernels"]):
            lines.append(_line("  - name", kernel["name"],
                               "a kernelspec name inside the image" if index == 0 else ""))
            if "display_name" in kernel:
                lines.append(_line("    display_name", kernel["display_name"]))
    if "user" in data:
        lines += ["user:", _line("  uid", data["user"]["uid"]), _line("  gid", data["user"]["gid"])]
    if "mount_path" in data:
        lines.append(_line("mount_path", data["mount_path"], "where Studio mounts the user's home"))
    config = data.get("container_config")
    if config:
        lines.append("container_config:                  # how Studio starts the app, in place of "
                     "the image's ENTRYPOINT/CMD")
        for key in ("entrypoint", "arguments"):
            if key in config:
                lines.append(f"  {key}: [{', '.join(_scalar(item) for item in config[key])}]")
        if "environment" in config:
            lines.append("  environment:")
            lines += [f"    {_scalar(k)}: {_scalar(v)}" for k, v in config["environment"].items()]
    text = "\n".join(lines) + "\n"
    if yaml.safe_load(text) != {k: v for k, v in data.items()}:    # a writer bug, never input
        raise AssertionError(f"image.yaml text does not read back as {data!r}")
    return text


def _app_note(app_type: str) -> str:
    app = APPS.get(app_type)
    if app is None or not app.is_space:
        return ""
    return f"a space image: it serves the app itself at {app.base_path}"


def _line(key: str, value: Any, comment: str = "") -> str:
    text = f"{key}: {_scalar(value)}"
    return f"{text.ljust(_COMMENT_AT - 1)} # {comment}" if comment else text


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and not text.endswith(" ") and yaml.safe_load(text) == text:
        return text
    return json.dumps(text)
