"""The one install() of every patch of moto: composed by declared order, never by call order, and
harmless to repeat."""
import random
import sys

import boto3
import pytest
from moto.core.responses import BaseResponse

from studio_containers.localaws.server import constraints, patches, unimplemented, unreadable
from studio_containers.localaws.server.patches import ADD, REPLACE, WRAP, Context, Patch, PatchError
from tests.unit.localaws.conftest import REGION, ROLE, install_patches


class Target:
    def greet(self):
        return "moto"


TARGET = f"{__name__}:Target"


def _tag(label):
    def wrapper(inner):
        return lambda self: f"{label}({inner(self)})"
    return wrapper


def _declared(monkeypatch, *declared: Patch) -> None:
    monkeypatch.setattr(patches, "GROUPS", {"test": (lambda: list(declared),)})


def _install(monkeypatch) -> None:
    install_patches(monkeypatch, {"test"}, front_door=False)


def test_wraps_nest_by_their_order_whatever_order_they_are_declared_in(monkeypatch):
    declared = [patches.wrap(TARGET, "greet", _tag(label), order)
                for label, order in (("outer", 1), ("middle", 5), ("inner", 9))]
    for _ in range(4):
        random.shuffle(declared)
        _declared(monkeypatch, *declared)
        _install(monkeypatch)
        assert Target().greet() == "outer(middle(inner(moto)))"


def test_installing_again_builds_the_same_and_never_wraps_a_wrap(monkeypatch):
    _declared(monkeypatch, patches.wrap(TARGET, "greet", _tag("w")),
              patches.add(TARGET, "extra", lambda self: "added"))
    for _ in range(3):
        _install(monkeypatch)
        assert (Target().greet(), Target().extra()) == ("w(moto)", "added")


def test_a_replacement_is_wrapped_and_targets_are_looked_up_when_installing(monkeypatch):
    class Later(Target):
        def greet(self):
            return "later"
    monkeypatch.setattr(sys.modules[__name__], "Target", Later)
    _declared(monkeypatch, patches.wrap(TARGET, "greet", _tag("w")),
              Patch(TARGET, "greet", REPLACE,
                    lambda inner, context: lambda self: inner(self) + "!"))
    _install(monkeypatch)
    assert Later().greet() == "w(later!)"


@pytest.mark.parametrize("declared, complaint", [
    ([patches.add(TARGET, "greet", None)], "moto has it now"),
    ([patches.replace(TARGET, "nothing", None)], "moto does not have it"),
    ([patches.wrap(TARGET, "nothing", _tag("w"))], "moto does not have it"),
    ([patches.replace(TARGET, "greet", None), Patch(TARGET, "greet", ADD, lambda i, c: None)],
     "replaced by 2 patches"),
    ([patches.wrap(TARGET, "greet", _tag("a"), 3), patches.wrap(TARGET, "greet", _tag("b"), 3)],
     "two wraps of order 3"),
])
def test_patches_that_do_not_fit_moto_or_each_other_are_refused(monkeypatch, declared, complaint):
    _declared(monkeypatch, patches.add(TARGET, "fits", None), *declared)
    with pytest.raises(PatchError, match=complaint):
        _install(monkeypatch)
    assert Target().greet() == "moto" and not hasattr(Target, "fits")   # nothing installed


def test_a_group_without_the_object_it_needs_is_refused():
    with pytest.raises(PatchError, match="the apps patches need the context's launcher"):
        patches.install(Context(), {"apps"})


def test_the_dispatch_wraps_nest_types_then_constraints_then_unimplemented(monkeypatch):
    dispatches = [p for p in patches.registry() if p.name == "_dispatch"]
    assert [p.kind for p in dispatches] == [WRAP, WRAP, WRAP]
    install_patches(monkeypatch, {"protocol"})
    install_patches(monkeypatch, {"protocol"})
    outer = BaseResponse._dispatch
    middle = outer.__closure__[0].cell_contents
    inner = middle.__closure__[0].cell_contents
    moto = inner.__closure__[0].cell_contents
    assert (outer.__module__, middle.__module__, inner.__module__, moto.__module__) == (
        unreadable.__name__, constraints.__name__, unimplemented.__name__, "moto.core.responses")


def test_the_servers_patches_installed_twice_still_create_a_domain(monkeypatch, moto_backend,
                                                                  found):
    """Before the registry, a second install wrapped create_domain twice: KeyError 'd-team'."""
    for _ in range(2):
        install_patches(monkeypatch, {"sagemaker", "protocol"}, resolve_image=found)
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    arn = sagemaker.create_domain(DomainName="team", AuthMode="IAM", SubnetIds=["s"], VpcId="v",
                                  DefaultUserSettings={"ExecutionRole": ROLE})["DomainArn"]
    domain_id = arn.rsplit("/", 1)[-1]
    assert sagemaker.describe_domain(DomainId=domain_id)["DomainName"] == "team"
    sagemaker.delete_domain(DomainId=domain_id)
    assert sagemaker.list_domains()["Domains"] == []
