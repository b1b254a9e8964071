"""Server-side constraint checks, as AWS applies them before an operation runs.

botocore validates types and required members on the client, but not patterns, enums or value
ranges; the service does, answering `ValidationException` with "N validation errors detected: …".
The constraints come from botocore's own service model, so they are the ones AWS publishes. The
same checks hold for what AWS answers, so a response can be checked too (shape_errors). The
values are visited by server/walker.py, in the order AWS lists its errors.
"""
import re
from collections.abc import Iterator
from functools import lru_cache

from botocore.model import OperationModel, Shape, StructureShape

from ..server.walker import Node, member_path, walk


def constraint_errors(operation: OperationModel, params: dict) -> list[str]:
    """What AWS refuses in a request to `operation`."""
    return shape_errors(operation.input_shape, params)


def shape_errors(shape: StructureShape | None, value: dict) -> list[str]:
    """Missing required members, and values outside their pattern, enum, length or range."""
    if shape is None:
        return []
    return [error for node in walk(shape, value or {}, keys=True) for error in _errors(node)]


def validation_message(errors: list[str]) -> str:
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(errors)


def _errors(node: Node) -> Iterator[str]:
    shape, value, path = node
    kind = shape.type_name
    if kind == "structure":
        if isinstance(value, dict):
            for name in shape.required_members:
                if value.get(name) is None:
                    yield (f"Value null at '{member_path(path, name)}' failed to satisfy "
                           "constraint: Member must not be null")
    elif kind in ("list", "map"):
        if isinstance(value, list if kind == "list" else dict):
            yield from _length_errors(shape, len(value), value, path)
    elif kind == "string":
        yield from _string_errors(shape, value, path)
    elif kind in ("integer", "long", "float", "double") and not isinstance(value, bool):
        yield from _range_errors(shape, value, path)


def _string_errors(shape: Shape, value, path: str) -> Iterator[str]:
    if not isinstance(value, str):
        return
    yield from _length_errors(shape, len(value), value, path)
    if shape.enum and value not in shape.enum:
        yield (f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy "
               f"enum value set: [{', '.join(shape.enum)}]")
    pattern = shape.metadata.get("pattern")
    compiled = _compile(pattern) if pattern else None
    if compiled is not None and not compiled.fullmatch(value):
        yield (f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy "
               f"regular expression pattern: {pattern}")


def _length_errors(shape: Shape, length: int, value, path: str) -> Iterator[str]:
    shown = value if isinstance(value, str) else "[...]" if isinstance(value, list) else "{...}"
    yield from _bound_errors(shape, length, shown, path, "length")


def _range_errors(shape: Shape, value, path: str) -> Iterator[str]:
    if isinstance(value, (int, float)):
        yield from _bound_errors(shape, value, value, path, "value")


def _bound_errors(shape: Shape, measured, shown, path: str, what: str) -> Iterator[str]:
    """The model's min and max, of a length or of a value."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    for bound, outside, side in ((low, low is not None and measured < low, "greater"),
                                 (high, high is not None and measured > high, "less")):
        if outside:
            yield (f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must have "
                   f"{what} {side} than or equal to {bound}")


@lru_cache(maxsize=None)
def _compile(pattern: str):
    # The model's patterns are Java regexes; the few Python cannot read are skipped, not guessed.
    try:
        return re.compile(pattern)
    except re.error:
        return None
