"""One walk over a request's values along botocore's model of its input, naming each member as
AWS names it in an error ('tags.1.member.key', 'environment.A.value').

Two checks read requests this way before moto reads them: the type check (unreadable.py: the
first value of the wrong type) and then the constraint check (constraints.py: every value outside
its pattern, enum, length or range). walk() yields the values in the model's order, each before
what it holds, so errors come in the order AWS lists them.
query_member() finds the member a query parameter's dotted name stands for.
"""
from collections.abc import Iterator
from typing import NamedTuple

from botocore.model import Shape


class Node(NamedTuple):
    shape: Shape
    value: object
    path: str


def member_path(prefix: str, name: str) -> str:
    # AWS names members in lowerCamelCase in these messages: 'appImageConfigName'.
    camel = name[:1].lower() + name[1:]
    return f"{prefix}.{camel}" if prefix else camel


def walk(shape: Shape, value, path: str = "", *, keys: bool = False) -> Iterator[Node]:
    """Every value given (null ones are not), before the values it holds: a structure's members
    in the model's order, a list's items (numbered from 1), a map's values (each after its key,
    with keys=True). A value of another type than its shape's is yielded but not entered, and so
    is a document (any JSON)."""
    stack = [Node(shape, value, path)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(_held(node, keys))))


def _held(node: Node, keys: bool) -> Iterator[Node]:
    shape, value, path = node
    kind = shape.type_name
    if shape.metadata.get("document"):
        return
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if value.get(name) is not None:
                yield Node(member, value[name], member_path(path, name))
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value, start=1):
            if item is not None:
                yield Node(shape.member, item, f"{path}.{index}.member")
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            if keys:
                yield Node(shape.key, key, f"{path}.{key}.key")
            if item is not None:
                yield Node(shape.value, item, f"{path}.{key}.value")


def query_member(shape: Shape, name: str) -> tuple[Shape | None, str]:
    """The shape a query parameter (`Tags.member.1.Key`) names, and its path; None if none."""
    parts = name.split(".")
    path = ""
    while parts:
        kind = shape.type_name
        if kind == "structure":
            name = parts.pop(0)
            if name not in shape.members:
                return None, path
            shape, path = shape.members[name], member_path(path, name)
        elif kind == "list":
            if not shape.serialization.get("flattened") and parts[0] == "member":
                parts.pop(0)
            if not parts or not parts[0].isdigit():
                return None, path
            path = f"{path}.{parts.pop(0)}.member"
            shape = shape.member
        elif kind == "map":
            if parts[0] == "entry":
                parts.pop(0)
            if len(parts) < 2 or not parts[0].isdigit() or parts[1] not in ("key", "value"):
                return None, path
            path = f"{path}.{parts[0]}.{parts[1]}"
            shape = shape.key if parts[1] == "key" else shape.value
            del parts[:2]
        else:
            return None, path       # a scalar has no members
    return shape, path
