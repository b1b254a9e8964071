"""Every change this project makes to moto's classes, installed by one install().

Each concern declares its patches (a module's PATCHES): a method or attribute it adds (the name
must not be there yet), replaces (it must be), or wraps (the one there is passed in). install()
looks each target up when it runs (moto may only be imported once the server has set its
environment) and puts one value on each name: moto's own, or the one replacement, then every
wrap of that name, nested by their declared order (the lower, the further out; two wraps of one
name may not share an order). It starts from what was there before any install, so installing
again, or another time with other groups, builds the same thing and never wraps a wrap; the
order in which concerns are declared or installed changes nothing.

A group is a concern a test may install on its own; each needs an object of the running server
(Context): the image resolver, the local ECR, the apps launcher.
"""
import importlib
from dataclasses import dataclass
from typing import Callable

ADD, REPLACE, WRAP = "add", "replace", "wrap"
SAGEMAKER_RESPONSE = "moto.sagemaker.responses:SageMakerResponse"
_MISSING = object()


class PatchError(Exception):
    """The patches do not fit moto (a name added that moto now has, one replaced that it lacks),
    or each other (two replacements of one name, two wraps of one order)."""


@dataclass
class Context:
    """The server's objects that patches use; each group needs one."""
    resolve_image: Callable | None = None   # sagemaker: BaseImage → (ContainerImage, reason)
    ecr: object = None                      # ecr: the LocalEcr
    launcher: object = None                 # apps: the AppLauncher


NEEDS = {"sagemaker": "resolve_image", "ecr": "ecr", "apps": "launcher"}


@dataclass(frozen=True)
class Patch:
    target: str     # "module:Class", looked up by install()
    name: str
    kind: str       # ADD, REPLACE or WRAP
    make: Callable  # (what is there: moto's own, or None for ADD; Context) -> the new value
    order: int = 0  # WRAP: the lower, the further out


def add(target: str, name: str, value) -> Patch:
    return Patch(target, name, ADD, lambda inner, context: value)


def replace(target: str, name: str, value) -> Patch:
    return Patch(target, name, REPLACE, lambda inner, context: value)


def wrap(target: str, name: str, wrapper: Callable, order: int = 0) -> Patch:
    """`wrapper(inner)` returns what replaces `inner`, which it may call."""
    return Patch(target, name, WRAP, lambda inner, context: wrapper(inner), order)


def copies(target: str, members: dict, replacing: tuple = ()) -> list[Patch]:
    """Members (a class's methods, by name) copied onto `target`: added, but for the names in
    `replacing`."""
    return [(replace if name in replacing else add)(target, name, member)
            for name, member in members.items()]


# Where each group's patches are declared: a module's PATCHES (imported by install() only), or
# a function that lists them.
GROUPS = {
    "ecr": ("..ecr.local",),
    "sagemaker": ("..sagemaker.responses", "..sagemaker.backend"),
    "protocol": (".unreadable", ".constraints", ".unimplemented"),
    "apps": ("..apps.responses",),
}


def registry(groups=None) -> list[Patch]:
    """The patches of `groups` (all when None)."""
    found = []
    for group in GROUPS if groups is None else groups:
        for source in GROUPS[group]:
            found += source() if callable(source) else \
                importlib.import_module(source, __package__).PATCHES
    return found


# What install() put on each (class, name), and what was there before it: (value, original).
_INSTALLED: dict[tuple[type, str], tuple[object, object]] = {}


def install(context: Context, groups=None, setattr: Callable = setattr) -> None:
    """Installs the patches of `groups` (all when None). `setattr` may be a test's monkeypatch
    (one that also adds a name), which then puts moto's own back afterwards."""
    for group in GROUPS if groups is None else groups:
        if getattr(context, NEEDS.get(group, ""), True) is None:
            raise PatchError(f"the {group} patches need the context's {NEEDS[group]}")
    by_name: dict[tuple[str, str], list[Patch]] = {}
    for patch in registry(groups):
        by_name.setdefault((patch.target, patch.name), []).append(patch)
    composed = []       # all of them first: patches that do not fit change nothing
    for (target, name), patches in by_name.items():
        owner = _resolve(target)
        original = _original(owner, name)
        composed.append((owner, name, _compose(f"{target}.{name}", original, patches, context),
                         original))
    for owner, name, value, original in composed:
        setattr(owner, name, value)
        _INSTALLED[(owner, name)] = (value, original)


def _resolve(target: str) -> type:
    module, _, qualname = target.partition(":")
    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _original(owner: type, name: str):
    """What the class has of its own or inherits, as it was before install() changed it."""
    current = vars(owner).get(name, _MISSING)
    installed = _INSTALLED.get((owner, name))
    if installed is not None and current is installed[0]:
        return installed[1]
    return current if current is not _MISSING else getattr(owner, name, _MISSING)


def _compose(where: str, original, patches: list[Patch], context: Context):
    replacements = [p for p in patches if p.kind in (ADD, REPLACE)]
    if len(replacements) > 1:
        raise PatchError(f"{where} is replaced by {len(replacements)} patches; one may be")
    value = original
    if replacements:
        kind = replacements[0].kind
        if kind == ADD and original is not _MISSING:
            raise PatchError(f"{where} is added, but moto has it now: replace or wrap it")
        if kind == REPLACE and original is _MISSING:
            raise PatchError(f"{where} is replaced, but moto does not have it")
        value = replacements[0].make(None if kind == ADD else original, context)
    wraps = sorted((p for p in patches if p.kind == WRAP), key=lambda p: p.order, reverse=True)
    for inner, outer in zip(wraps, wraps[1:]):
        if inner.order == outer.order:
            raise PatchError(f"{where} has two wraps of order {inner.order}: which is outside?")
    if wraps and value is _MISSING:
        raise PatchError(f"{where} is wrapped, but moto does not have it")
    for patch in wraps:         # the innermost first
        value = patch.make(value, context)
    return value
