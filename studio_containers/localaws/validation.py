"""Server-side constraint checks, as AWS applies them before an operation runs.

botocore validates types and required members on the client, but not patterns, enums or value
ranges; the service does, answering `ValidationException` with "N validation errors detected: …".
The constraints come from botocore's own service model, so they are the ones AWS publishes. The
same checks hold for what AWS answers, so a response can be checked too (shape_errors).
"""
import re
from functools import lru_cache

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape


def constraint_errors(operation: OperationModel, params: dict) -> list[str]:
    """What AWS refuses in a request to `operation`."""
    return shape_errors(operation.input_shape, params)


def shape_errors(shape: StructureShape | None, value: dict) -> list[str]:
    """Missing required members, and values outside their pattern, enum, length or range."""
    errors: list[str] = []
    if shape is not None:
        _check_structure(shape, value or {}, "", errors)
    return errors


def validation_message(errors: list[str]) -> str:
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(errors)


def _member_path(prefix: str, name: str) -> str:
    # AWS names members in lowerCamelCase in these messages: 'appImageConfigName'.
    camel = name[:1].lower() + name[1:]
    return f"{prefix}.{camel}" if prefix else camel


def _check(shape: Shape, value, path: str, errors: list[str]) -> None:
    if isinstance(shape, StructureShape):
        if isinstance(value, dict):
            _check_structure(shape, value, path, errors)
    elif isinstance(shape, ListShape):
        if isinstance(value, list):
            _check_length(shape, len(value), value, path, errors)
            for index, item in enumerate(value, start=1):
                _check(shape.member, item, f"{path}.{index}.member", errors)
    elif isinstance(shape, MapShape):
        if isinstance(value, dict):
            _check_length(shape, len(value), value, path, errors)
            for key, item in value.items():
                _check(shape.key, key, f"{path}.{key}.key", errors)
                _check(shape.value, item, f"{path}.{key}.value", errors)
    elif shape.type_name == "string":
        _check_string(shape, value, path, errors)
    elif shape.type_name in ("integer", "long", "float", "double") and not isinstance(value, bool):
        _check_range(shape, value, path, errors)


def _check_structure(shape: StructureShape, value: dict, prefix: str, errors: list[str]) -> None:
    for name in shape.required_members:
        if value.get(name) is None:
            errors.append(f"Value null at '{_member_path(prefix, name)}' failed to satisfy "
                          "constraint: Member must not be null")
    for name, member in shape.members.items():
        if value.get(name) is not None:
            _check(member, value[name], _member_path(prefix, name), errors)


def _check_string(shape: Shape, value, path: str, errors: list[str]) -> None:
    if not isinstance(value, str):
        return
    _check_length(shape, len(value), value, path, errors)
    if shape.enum and value not in shape.enum:
        errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must "
                      f"satisfy enum value set: [{', '.join(shape.enum)}]")
    pattern = shape.metadata.get("pattern")
    compiled = _compile(pattern) if pattern else None
    if compiled is not None and not compiled.fullmatch(value):
        errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must "
                      f"satisfy regular expression pattern: {pattern}")


def _check_length(shape: Shape, length: int, value, path: str, errors: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    shown = value if isinstance(value, str) else "[...]" if isinstance(value, list) else "{...}"
    if low is not None and length < low:
        errors.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must "
                      f"have length greater than or equal to {low}")
    if high is not None and length > high:
        errors.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must "
                      f"have length less than or equal to {high}")


def _check_range(shape: Shape, value, path: str, errors: list[str]) -> None:
    if not isinstance(value, (int, float)):
        return
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must "
                      f"have value greater than or equal to {low}")
    if high is not None and value > high:
        errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must "
                      f"have value less than or equal to {high}")


@lru_cache(maxsize=None)
def _compile(pattern: str):
    # The model's patterns are Java regexes; the few Python cannot read are skipped, not guessed.
    try:
        return re.compile(pattern)
    except re.error:
        return None
