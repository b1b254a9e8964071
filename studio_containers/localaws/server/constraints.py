"""AWS's front door for SageMaker: every request checked against botocore's model of its
operation before any model code runs, ours or moto's.

botocore validates types and required members on the client, but not patterns, enums or value
ranges, and other clients (the AWS CLI with its checks off, Terraform's Go SDK, curl) check less;
the service checks them all and answers `ValidationException` with "N validation errors detected:
…", naming each member in lowerCamelCase. The constraints come from botocore's own service model,
so they are the ones AWS publishes. The same checks hold for what AWS answers, so a response can
be checked too (shape_errors). The values are visited by walker.py, in the order AWS lists its
errors. The request's types were checked before (unreadable.py), so what is read here is what the
model says it is.

Only SageMaker's requests are checked here: the Studio API is what the local AWS stands in for,
and other services word their front door's refusals otherwise (ECR, for one, answers a bad
repository name with its own InvalidParameterException), which moto already follows.
"""
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Callable

import regex
from botocore.model import OperationModel, OperationNotFoundError, Shape, StructureShape

from .errors import error_response
from .patches import wrap
from .walker import Node, member_path, walk

CHECKED_SERVICES = {"sagemaker"}
CODE = "ValidationException"
MAX_LISTED = 10
# Every AWS service keeps tag keys beginning with this (in any case) for its own; the model has
# no pattern for it.
RESERVED_TAG_PREFIX = "aws:"


def constraint_errors(operation: OperationModel, params: dict) -> list[str]:
    """What AWS refuses in a request to `operation`."""
    return shape_errors(operation.input_shape, params)


def shape_errors(shape: StructureShape | None, value: dict) -> list[str]:
    """Missing required members, and values outside their pattern, enum, length or range."""
    if shape is None:
        return []
    return [error for node in walk(shape, value or {}, keys=True) for error in _errors(node)]


def validation_message(errors: list[str]) -> str:
    """AWS lists the first ten, and counts only those (as emulators tested against AWS record
    it, e.g. kinesalite and dynalite; SageMaker's own cap is not published)."""
    listed = errors[:MAX_LISTED]
    noun = "error" if len(listed) == 1 else "errors"
    return f"{len(listed)} validation {noun} detected: " + "; ".join(listed)


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
    """The model's pattern, a Java regex, as Python reads it: `regex` reads its \\p{L} classes;
    a surrogate pair (Java's way to write a character past U+FFFF) becomes that character. One
    that neither `regex` nor `re` reads then is skipped, not guessed."""
    pattern = _SURROGATE_PAIR.sub(_joined, pattern)
    for engine, error in ((regex, regex.error), (re, re.error)):
        try:
            return engine.compile(pattern)
        except error:
            continue
    return None


_SURROGATE_PAIR = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", re.IGNORECASE)


def _joined(pair: re.Match) -> str:
    high, low = int(pair[1], 16), int(pair[2], 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


def refusal(service: str, target: str, body: bytes) -> str | None:
    """The ValidationException message for a request to `service` with this X-Amz-Target and
    body, or None when the front door lets it through (to moto, or to our own checks)."""
    if service not in CHECKED_SERVICES:
        return None
    try:
        operation = _service_model(service).operation_model(target.rsplit(".", 1)[-1])
    except OperationNotFoundError:
        return None     # unimplemented.py answers an operation the model does not have
    text = body.decode("utf-8", errors="replace").strip()
    params = json.loads(text) if text else {}
    params = params if isinstance(params, dict) else {}
    errors = constraint_errors(operation, params)
    if errors:
        return validation_message(errors)
    return _reserved_tag_key(operation.input_shape, params)


def _reserved_tag_key(shape: StructureShape | None, params: dict) -> str | None:
    """AddTags, DeleteTags and every Create call's Tags: an `aws:` key is refused."""
    if shape is None:
        return None
    for node in walk(shape, params, keys=True):
        key = node.value
        if node.shape.name == "TagKey" and isinstance(key, str) and \
                key[:len(RESERVED_TAG_PREFIX)].lower() == RESERVED_TAG_PREFIX:
            return f"System prefix '{RESERVED_TAG_PREFIX}' reserved for AWS usage in tag key: {key}"
    return None


@lru_cache(maxsize=None)
def _service_model(service: str):
    from moto.core.utils import get_service_model
    return get_service_model(service)


def _dispatch(original: Callable) -> Callable:
    def dispatch(self, request, full_url=None, headers=None):
        if request.headers.get("Content-Encoding", "").lower() != "gzip":   # moto inflates it
            message = refusal(self.boto3_service_name, request.headers.get("X-Amz-Target") or "",
                              request.get_data())
            if message is not None:
                return error_response("json", CODE, message)
        return original(self, request, full_url, headers)
    return dispatch


# Inside unreadable.py's (a request's types are checked first, as AWS reads it before it checks
# it), outside unimplemented.py's.
PATCHES = [wrap("moto.core.responses:BaseResponse", "_dispatch", _dispatch, order=15)]
