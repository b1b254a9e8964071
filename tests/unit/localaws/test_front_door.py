"""The front door walks the model: for every SageMaker operation the local AWS implements (moto's
and ours), one request per kind of constraint its input shapes hold (a required member, a
string's, list's or map's length, a number's range, a pattern, an enum), each breaking the first
such constraint the model lists (a map's keys count as kinds of their own). Each must be answered
ValidationException naming that member and constraint, as AWS words it, and change nothing.

The expected lines are written here from the model's facts, not by the server's code, so a
constraint the server lets through, or words otherwise, fails the test.
"""
import re

import pytest
from botocore import xform_name
from moto.sagemaker.responses import SageMakerResponse

from studio_containers.localaws.server import patches
from studio_containers.localaws.server.constraints import _compile
from tests.aws_model import service_model
from tests.unit.localaws.test_bad_requests import api, refused_without_change  # noqa: F401

SM = service_model("sagemaker")
RANGES = {"integer": (-2**31, 2**31 - 1), "long": (-2**63, 2**63 - 1)}
KINDS = ("required", "min length", "max length", "min value", "max value", "pattern", "enum")
# Candidates for a string outside a pattern: one of them misses every pattern of the model that
# does not match anything at all.
OUTSIDE = ("~ ~", "!", " ", "", "UPPER lower", "a" * 3, "0", "-", "arn:aws:x", "é")
DEPTH = 6


def implemented() -> list[str]:
    """The operations moto answers and those our patches add (read from their declarations, as
    collection comes before any install)."""
    ours = {p.name for p in patches.registry() if p.target == patches.SAGEMAKER_RESPONSE}
    return [name for name in SM.operation_names
            if hasattr(SageMakerResponse, xform_name(name)) or xform_name(name) in ours]


def member(path: str, name: str) -> str:
    camel = name[:1].lower() + name[1:]
    return f"{path}.{camel}" if path else camel


def placeholder(shape):
    """A value of the shape's type, not meant to satisfy its constraints."""
    return {"structure": {}, "list": [], "map": {}, "string": "x", "integer": 1, "long": 1,
            "float": 1.0, "double": 1.0, "boolean": True, "timestamp": 0,
            "blob": "eA=="}.get(shape.type_name)


def wrap(steps: list, leaf):
    """The request: `leaf` placed where `steps` (members, list items, map values, or a map's
    key, holding `leaf`) lead."""
    for step in reversed(steps):
        kind, name = step
        leaf = {name: leaf} if kind in ("member", "value", "key") else [leaf]
    return leaf


def violations(shape, steps=(), path="", stack=()):
    """(kind, steps to the value, its path as AWS names it, the bad value or None to leave it out,
    the constraint's words) for every constraint under `shape`, in the model's order."""
    if shape.name in stack or len(stack) > DEPTH or shape.metadata.get("document"):
        return
    stack = (*stack, shape.name)
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure":
        for name in shape.required_members:
            yield ("required", list(steps), member(path, name), {},
                   f"Value null at '{member(path, name)}' failed to satisfy constraint: Member "
                   "must not be null")
        for name, held in shape.members.items():
            yield from violations(held, (*steps, ("member", name)), member(path, name), stack)
    elif kind in ("list", "map"):
        item = placeholder(shape.member if kind == "list" else shape.value)
        for bound, size, side in (("min", meta.get("min", 0) - 1, "greater"),
                                  ("max", meta.get("max", -2) + 1, "less")):
            if bound in meta and 0 <= size <= 1000:
                value = [item] * size if kind == "list" else {f"k{i}": item for i in range(size)}
                yield (f"{bound} length", list(steps), path, value,
                       f"at '{path}' failed to satisfy constraint: Member must have length "
                       f"{side} than or equal to {meta[bound]}")
        if kind == "list":
            yield from violations(shape.member, (*steps, ("item", None)), f"{path}.1.member",
                                  stack)
        else:
            for key in violations(shape.key, (), "", stack):
                # A key breaking its constraint, holding any value: {bad key: value}.
                kind_, _, _, bad, words = key
                if bad is not None and isinstance(bad, str):
                    yield (f"key {kind_}", list(steps) + [("key", bad)], f"{path}.{bad}.key",
                           item, words.replace("at ''", f"at '{path}.{bad}.key'"))
            yield from violations(shape.value, (*steps, ("value", "k")), f"{path}.k.value", stack)
    elif kind == "string":
        low, high = meta.get("min", 0), meta.get("max")
        if low > 0:
            yield ("min length", list(steps), path, "a" * (low - 1),
                   f"at '{path}' failed to satisfy constraint: Member must have length greater "
                   f"than or equal to {low}")
        if high is not None and high < 100_000:
            yield ("max length", list(steps), path, "a" * (high + 1),
                   f"at '{path}' failed to satisfy constraint: Member must have length less "
                   f"than or equal to {high}")
        if "pattern" in meta:
            outside = _outside(meta["pattern"], low, high)
            if outside is not None:
                yield ("pattern", list(steps), path, outside,
                       f"Value '{outside}' at '{path}' failed to satisfy constraint: Member must "
                       f"satisfy regular expression pattern: {meta['pattern']}")
        if shape.enum:
            yield ("enum", list(steps), path, "NOT-IN-THE-ENUM",
                   f"Value 'NOT-IN-THE-ENUM' at '{path}' failed to satisfy constraint: Member "
                   f"must satisfy enum value set: [{', '.join(shape.enum)}]")
    elif kind in ("integer", "long", "float", "double"):
        low, high = RANGES.get(kind, (-1e300, 1e300))
        for bound, value, side in (("min", meta.get("min", 0) - 1, "greater"),
                                   ("max", meta.get("max", 0) + 1, "less")):
            if bound in meta and low <= value <= high:
                yield (f"{bound} value", list(steps), path, value,
                       f"Value '{value}' at '{path}' failed to satisfy constraint: Member must "
                       f"have value {side} than or equal to {meta[bound]}")


def _outside(pattern: str, low: int, high: int | None) -> str | None:
    compiled = _compile(pattern)       # the Java pattern as Python reads it
    for candidate in OUTSIDE:
        if low <= len(candidate) <= (high if high is not None else 10**9) and \
                not compiled.fullmatch(candidate):
            return candidate
    return None


def cases():
    for name in implemented():
        operation = SM.operation_model(name)
        if operation.input_shape is None:
            continue
        taken = set()
        for kind, steps, path, value, words in violations(operation.input_shape):
            if kind in taken:
                continue
            taken.add(kind)
            body = wrap(steps, value) if steps or kind != "required" else {}
            shown = path if len(path) <= 80 else path[:77] + "..."
            yield pytest.param(name, body, words, id=f"{name}-{kind}-{shown or 'request'}")


CASES = list(cases())


def test_the_walk_reaches_the_studio_api_and_every_kind_of_constraint():
    """Facts read off the API reference, not off the walk: these cases must be among them."""
    ids = {case.id for case in CASES}
    expected = {
        "DescribeDomain-pattern-domainId", "ListDomains-max value-maxResults",
        "ListDomains-min value-maxResults", "CreateImage-required-imageName",
        "CreateApp-enum-appType", "CreateImageVersion-min length-baseImage",
        "UpdateDomain-max length-domainId",
        "CreateStudioLifecycleConfig-enum-studioLifecycleConfigAppType",
        "AddTags-min length-tags.1.member.key",
        "CreateAppImageConfig-max value-kernelGatewayImageConfig.fileSystemConfig.defaultUid"}
    assert expected <= ids, expected - ids
    operations = {case.values[0] for case in CASES}
    assert {"CreateDomain", "UpdateDomain", "CreateUserProfile", "CreateSpace", "CreateApp",
            "CreateStudioLifecycleConfig", "AddTags", "ListApps"} <= operations
    assert len(operations) > 100
    assert any("-key " in case.id for case in CASES), "no case of a map's key"


@pytest.mark.parametrize("operation, body, words", CASES)
def test_each_constraint_is_refused_at_the_front_door_as_aws_words_it(api, operation, body,
                                                                      words):
    answer = refused_without_change(api, "sagemaker", operation, body)
    assert answer["code"] == "ValidationException", answer
    assert re.match(r"\d+ validation errors? detected: ", answer["message"]), answer
    errors = answer["message"].split(" detected: ", 1)[1]
    assert words in errors, answer
