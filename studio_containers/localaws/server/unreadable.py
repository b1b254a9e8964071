"""Requests a service cannot read: a 400 naming the member, never moto's 500.

moto reads a request body and its members as if the client were botocore, which checks types
before it sends: a body that is not a JSON object (or not UTF-8), a string where the model wants
a list, an integer or a structure, or a number outside its type's range end in an exception and
an HTML 500, which SDKs and Terraform take for a passing fault and retry. AWS answers these with
HTTP 400: `SerializationException` in the JSON protocol, `ValidationError` in the query protocols.
PATCHES checks each request against botocore's model of its operation before moto reads it,
in the server process only (patches.py installs it).
"""
import binascii
import json
import math
from datetime import datetime
from typing import Callable

from botocore.model import OperationNotFoundError, Shape
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model

from .errors import error_response
from .patches import wrap
from .walker import Node, query_member, walk

# The ranges of the model's number types (AWS's Java int and long).
RANGES = {"integer": (-2**31, 2**31 - 1), "long": (-2**63, 2**63 - 1)}
JSON_ERROR = "SerializationException"
QUERY_ERROR = "ValidationError"
QUERY_CONTROL = {"Action", "Version"}   # query parameters that are not the operation's members


class Unreadable(Exception):
    """What is wrong with the request, naming the member (its lowerCamelCase path, as AWS does)."""


def check_json(input_shape: Shape | None, body: bytes) -> None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"the request body is not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        return      # botocore sends an empty body for an operation without members
    try:
        params = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Unreadable(f"the request body is not JSON: {exc}") from None
    if not isinstance(params, dict):
        raise Unreadable(f"the request body must be a JSON object, not {_kind(params)}")
    if input_shape is not None:
        for node in walk(input_shape, params):
            _check(node)


def check_query(input_shape: Shape | None, values: dict[str, str]) -> None:
    if input_shape is None:
        return
    for key, value in values.items():
        if key in QUERY_CONTROL:
            continue
        shape, path = query_member(input_shape, key)
        if shape is not None and shape.type_name not in ("structure", "list", "map"):
            _check_scalar(shape, _query_value(shape, value), path)


def _check(node: Node) -> None:
    shape, value, path = node
    if shape.metadata.get("document"):
        return      # any JSON value
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise _wrong(value, path, "a structure (a JSON object)")
    elif kind == "list":
        if not isinstance(value, list):
            raise _wrong(value, path, "a list (a JSON array)")
    elif kind == "map":
        if not isinstance(value, dict):
            raise _wrong(value, path, "a map (a JSON object)")
    else:
        _check_scalar(shape, value, path)


def _check_scalar(shape: Shape, value, path: str) -> None:
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            raise _wrong(value, path, "a string")
    elif kind in RANGES:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(value, path, "a whole number")
        low, high = RANGES[kind]
        if not low <= value <= high:
            raise Unreadable(f"value {_shown(value)} at '{path}' is out of range for an {kind} "
                             f"({low} to {high})")
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (isinstance(value, float) and not math.isfinite(value)):
            raise _wrong(value, path, "a number")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _wrong(value, path, "true or false")
    elif kind == "timestamp":
        if not _is_timestamp(value):
            raise _wrong(value, path, "a timestamp (seconds since the epoch, or ISO 8601)")
    elif kind == "blob":
        if not isinstance(value, str) or not _is_base64(value):
            raise _wrong(value, path, "base64-encoded bytes")


def _query_value(shape: Shape, text: str):
    """A query parameter as the JSON value it stands for, so one check serves both protocols."""
    kind = shape.type_name
    try:
        if kind in RANGES:
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def _is_timestamp(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    if not isinstance(value, str):
        return False
    try:
        float(value)
        return True
    except ValueError:
        pass
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def _is_base64(value: str) -> bool:
    try:
        binascii.a2b_base64(value.encode("ascii"))
        return True
    except (binascii.Error, UnicodeEncodeError):
        return False


def _kind(value) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a structure", type(None): "null"}.get(type(value), "a value")


def _shown(value) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 64 else text[:61] + "..."


def _wrong(value, path: str, expected: str) -> Unreadable:
    return Unreadable(f"value {_shown(value)} at '{path}' must be {expected}, not {_kind(value)}")


def _problem(response: BaseResponse, request) -> tuple[str, str, str | None] | None:
    """(protocol, what is wrong, the service's XML namespace) for a request moto would fail to
    read, else None."""
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        return None     # moto decompresses it; what it reads then is checked by moto
    try:
        model = get_service_model(response.boto3_service_name)
    except Exception:  # noqa: BLE001 - a service botocore does not know: moto's to answer
        return None
    protocol = model.protocol
    if protocol == "json":
        target = request.headers.get("X-Amz-Target") or ""
        action = target.rsplit(".", 1)[-1]
    elif protocol == "query":
        values = dict(request.values.items())
        action = values.get("Action", "")
    else:
        # REST services take members from the path, headers and body, and EC2 names its
        # parameters apart from its members: neither is read here.
        return None
    try:
        operation = model.operation_model(action)
    except OperationNotFoundError:
        return None     # unimplemented.py answers an operation the model does not have
    try:
        if protocol == "json":
            check_json(operation.input_shape, request.get_data())
        else:
            check_query(operation.input_shape, values)
    except Unreadable as exc:
        return protocol, f"{model.service_name}:{operation.name}: {exc}", \
            model.metadata.get("xmlNamespace")
    return None


def _dispatch(original: Callable) -> Callable:
    def dispatch(self: BaseResponse, request, full_url=None, headers=None):
        problem = _problem(self, request)
        if problem is not None:
            protocol, message, namespace = problem
            code = JSON_ERROR if protocol == "json" else QUERY_ERROR
            return error_response(protocol, code, message, namespace=namespace)
        return original(self, request, full_url, headers)
    return dispatch


# Outside unimplemented.py's: a request is read only once its types are checked.
PATCHES = [wrap("moto.core.responses:BaseResponse", "_dispatch", _dispatch, order=10)]
