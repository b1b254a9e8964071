"""Deploying lifecycle configs (deploy/lifecycle_configs.py, domain.attach) against
the local AWS's API in this process: made tagged, attached with other teams' ARNs and defaults
kept, a changed script a new config, refusals before any write, and only ours deleted."""
import base64

import pytest

from studio_containers.deploy import lifecycle_configs as lcc
from studio_containers.deploy.domain import (
    LifecycleOffer,
    Lifecycles,
    attach,
    lifecycle_changes,
)
from studio_containers.errors import UserError
from studio_containers.lifecycle_spec import load_lifecycles
from tests.unit.localaws.conftest import (  # noqa: F401 (fixtures)
    domain_id,
    found,
    moto_backend,
    patched,
    sagemaker,
)

STACK = "team-a"


def scripts(folder, **specs):
    """lifecycle/ with these scripts: name → (yaml text, script text)."""
    folder.mkdir(exist_ok=True)
    for name, (spec, script) in specs.items():
        (folder / f"{name}.yaml").write_text(spec)
        (folder / f"{name}.sh").write_text(script)
    return load_lifecycles(folder)


def others_config(sagemaker, name="team-b-proxy", app_type="JupyterLab", stack="team-b"):
    return sagemaker.create_studio_lifecycle_config(
        StudioLifecycleConfigName=name, StudioLifecycleConfigAppType=app_type,
        StudioLifecycleConfigContent=base64.b64encode(b"echo b").decode(),
        Tags=[{"Key": "studio-containers:stack", "Value": stack}])["StudioLifecycleConfigArn"]


def deploy(sagemaker, domain_id, wanted):
    plan = lcc.plan(sagemaker, wanted, STACK)
    lcc.create(sagemaker, plan, STACK)
    attach_lifecycles_of(sagemaker, domain_id, lcc.offers(plan), {e.arn for e in plan.ours.values()})
    lcc.delete(sagemaker, plan.stale())
    return plan


def lab_settings(sagemaker, domain_id):
    return sagemaker.describe_domain(DomainId=domain_id)["DefaultUserSettings"].get(
        "JupyterLabAppSettings", {})


def test_up_makes_tags_and_attaches_keeping_another_teams_and_a_rerun_changes_nothing(
        sagemaker, domain_id, tmp_path):
    theirs = others_config(sagemaker)
    sagemaker.update_domain(DomainId=domain_id, DefaultUserSettings={"JupyterLabAppSettings": {
        "LifecycleConfigArns": [theirs], "DefaultResourceSpec": {"InstanceType": "ml.t3.medium"}}})
    wanted = scripts(tmp_path, setup=("app_types: [JupyterLab, KernelGateway]\ndefault: true\n",
                                      "echo a\n"))
    plan = deploy(sagemaker, domain_id, wanted)
    lab = plan.ours[wanted[0].deployed_name("JupyterLab", STACK)]
    assert lab.name.startswith("setup-jupyterlab-") and lab.script == "setup"
    tags = sagemaker.list_tags(ResourceArn=lab.arn)["Tags"]
    assert {"Key": "studio-containers:stack", "Value": STACK} in tags
    settings = lab_settings(sagemaker, domain_id)
    assert settings["LifecycleConfigArns"] == [theirs, lab.arn]
    assert settings["DefaultResourceSpec"] == {"InstanceType": "ml.t3.medium",
                                               "LifecycleConfigArn": lab.arn}
    kg = sagemaker.describe_domain(DomainId=domain_id)["DefaultUserSettings"][
        "KernelGatewayAppSettings"]
    assert kg["DefaultResourceSpec"]["LifecycleConfigArn"].endswith(
        wanted[0].deployed_name("KernelGateway", STACK))
    again = lcc.plan(sagemaker, wanted, STACK)
    assert lcc.create(sagemaker, again, STACK) is False
    assert attach_lifecycles_of(sagemaker, domain_id, lcc.offers(again),
                             {e.arn for e in again.ours.values()}) is False
    assert again.stale() == []


def test_a_changed_script_is_a_new_config_and_the_old_one_goes(sagemaker, domain_id, tmp_path):
    first = deploy(sagemaker, domain_id, scripts(tmp_path, setup=("app_types: [JupyterLab]\n",
                                                                  "echo 1\n")))
    [old] = first.ours.values()
    second = deploy(sagemaker, domain_id, scripts(tmp_path, setup=("app_types: [JupyterLab]\n",
                                                                   "echo 2\n")))
    [new] = [e for e in second.ours.values() if e.name != old.name]
    assert new.name != old.name
    names = [c["StudioLifecycleConfigName"] for c in lcc.list_all(sagemaker)]
    assert names == [new.name]
    assert lab_settings(sagemaker, domain_id)["LifecycleConfigArns"] == [new.arn]
    content = sagemaker.describe_studio_lifecycle_config(StudioLifecycleConfigName=new.name)[
        "StudioLifecycleConfigContent"]
    assert base64.b64decode(content) == b"echo 2\n"


def test_a_name_another_stack_has_is_refused_before_anything_is_made(sagemaker, tmp_path):
    wanted = scripts(tmp_path, setup=("app_types: [JupyterLab]\n", "echo a\n"))
    others_config(sagemaker, name=wanted[0].deployed_name("JupyterLab", STACK))
    with pytest.raises(UserError, match=r"setup\.sh: the lifecycle config setup-\w+ already "
                                        r"exists and is not this stack's \(stack team-b's"):
        lcc.plan(sagemaker, wanted, STACK)


def test_another_teams_default_is_never_replaced(sagemaker, domain_id, tmp_path):
    theirs = others_config(sagemaker)
    sagemaker.update_domain(DomainId=domain_id, DefaultUserSettings={"JupyterLabAppSettings": {
        "LifecycleConfigArns": [theirs], "DefaultResourceSpec": {"LifecycleConfigArn": theirs}}})
    domain = sagemaker.describe_domain(DomainId=domain_id)
    with pytest.raises(UserError, match=r"JupyterLabAppSettings's default lifecycle config is "
                                        r".*team-b-proxy, not this stack's; set `default: false`"):
        lifecycle_changes(domain, {"JupyterLab": LifecycleOffer(("x",), "x")}, {"x"})
    # offered only, it goes in beside theirs
    changes = lifecycle_changes(domain, {"JupyterLab": LifecycleOffer(("x",))}, {"x"})
    assert changes["JupyterLabAppSettings"] == {"LifecycleConfigArns": [theirs, "x"]}


def test_down_detaches_and_deletes_only_ours(sagemaker, domain_id, tmp_path):
    theirs = others_config(sagemaker)
    untagged = others_config(sagemaker, name="by-hand", stack="")
    sagemaker.update_domain(DomainId=domain_id, DefaultUserSettings={"JupyterLabAppSettings": {
        "LifecycleConfigArns": [theirs, untagged]}})
    deploy(sagemaker, domain_id, scripts(tmp_path, setup=("app_types: [JupyterLab]\n"
                                                          "default: true\n", "echo a\n")))
    ours = list(lcc.plan(sagemaker, [], STACK).ours.values())
    assert attach_lifecycles_of(sagemaker, domain_id, {}, {e.arn for e in ours})
    assert lcc.delete(sagemaker, ours) == []
    settings = lab_settings(sagemaker, domain_id)
    assert settings["LifecycleConfigArns"] == [theirs, untagged]
    assert settings["DefaultResourceSpec"] == {}    # the local AWS takes a spec whole
    assert sorted(c["StudioLifecycleConfigName"] for c in lcc.list_all(sagemaker)) == \
        ["by-hand", "team-b-proxy"]


def test_one_still_listed_elsewhere_is_kept_and_said(sagemaker, domain_id, tmp_path, capsys):
    plan = deploy(sagemaker, domain_id, scripts(tmp_path, setup=("app_types: [JupyterLab]\n",
                                                                 "echo a\n")))
    [ours] = plan.ours.values()
    sagemaker.create_domain(DomainName="other", AuthMode="IAM", SubnetIds=["subnet-1"],
                            VpcId="vpc-1", DefaultUserSettings={
                                "ExecutionRole": "arn:aws:iam::123456789012:role/r",
                                "JupyterLabAppSettings": {"LifecycleConfigArns": [ours.arn]}})
    attach_lifecycles_of(sagemaker, domain_id, {}, {ours.arn})
    assert lcc.delete(sagemaker, [ours]) == [ours.name]
    assert f"lifecycle config {ours.name} kept:" in capsys.readouterr().err


def test_two_defaults_for_one_app_type_are_refused(tmp_path):
    wanted = scripts(tmp_path, a=("app_types: [JupyterLab]\ndefault: true\n", "echo a\n"),
                     b=("app_types: [JupyterLab, CodeEditor]\ndefault: true\n", "echo b\n"))
    with pytest.raises(UserError, match=r"lifecycle scripts a, b all say `default: true` for "
                                        "JupyterLab apps"):
        lcc.check_defaults(wanted)


def test_up_refuses_another_teams_default_before_making_anything(sagemaker, domain_id, tmp_path):
    from types import SimpleNamespace

    from studio_containers.deploy.up import _check_lifecycles
    theirs = others_config(sagemaker)
    sagemaker.update_domain(DomainId=domain_id, DefaultUserSettings={"JupyterLabAppSettings": {
        "LifecycleConfigArns": [theirs], "DefaultResourceSpec": {"LifecycleConfigArn": theirs}}})
    d = SimpleNamespace(sm=sagemaker, settings=SimpleNamespace(deploy_stack=STACK))
    wanted = scripts(tmp_path, setup=("app_types: [JupyterLab]\ndefault: true\n", "echo a\n"))
    with pytest.raises(UserError, match="default lifecycle config is .*team-b-proxy"):
        _check_lifecycles(d, domain_id, wanted)
    assert [c["StudioLifecycleConfigName"] for c in lcc.list_all(sagemaker)] == ["team-b-proxy"]
    offered = scripts(tmp_path, setup=("app_types: [JupyterLab]\ndefault: false\n", "echo a\n"))
    assert [w.name for w in _check_lifecycles(d, domain_id, offered).wanted] == \
        [offered[0].deployed_name("JupyterLab", STACK)]


def test_status_tells_each_scripts_state(sagemaker, domain_id, tmp_path):
    from studio_containers.deploy.status import _lifecycles

    def states(wanted):
        domain = sagemaker.describe_domain(DomainId=domain_id)
        return {(row[0], row[4]) for row in _lifecycles(sagemaker, wanted, STACK, domain)}
    first = scripts(tmp_path, setup=("app_types: [JupyterLab]\ndefault: true\n", "echo 1\n"))
    assert states(first) == {("setup", "not deployed")}
    deploy(sagemaker, domain_id, first)
    assert states(first) == {("setup", "up to date")}
    offered = scripts(tmp_path, setup=("app_types: [JupyterLab]\n", "echo 1\n"))
    assert states(offered) == {("setup", "not in domain: run up")}   # still the default there
    changed = scripts(tmp_path, setup=("app_types: [JupyterLab]\ndefault: true\n", "echo 2\n"))
    assert states(changed) == {("setup", "changed: run up"),
                               ("setup", "script changed or removed: up deletes it")}
    others_config(sagemaker, name=changed[0].deployed_name("JupyterLab", STACK))
    assert ("setup", "name taken by stack team-b: rename the script") in states(changed)


def attach_lifecycles_of(sm, domain_id: str, offers: dict, owned: set[str]) -> bool:
    """The domain write of lifecycle configs only: attach() with no image of this stack's."""
    return attach(sm, domain_id, {}, set(), Lifecycles(offers, owned))
