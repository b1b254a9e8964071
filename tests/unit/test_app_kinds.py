"""The app-kind table in studio.py: its rows and enums agree with SageMaker's API model, the
views derived from it are what the stages use, and no module writes an app type, base path or
status of its own."""
import json
import pickle
import re
import subprocess

import botocore.session
import pytest

from studio_containers import PROJECT_ROOT, studio
from studio_containers.studio import (
    APP_KINDS,
    APPS,
    AppStatus,
    AppType,
    ImageStatus,
    ImageVersionStatus,
    Owner,
    ResourceStatus,
)

MODEL = botocore.session.get_session().get_service_model("sagemaker")


@pytest.mark.parametrize("enum, shapes", [
    (AppStatus, ["AppStatus"]),
    (ResourceStatus, ["DomainStatus", "UserProfileStatus", "SpaceStatus"]),
    (ImageStatus, ["ImageStatus"]),
    (ImageVersionStatus, ["ImageVersionStatus"]),
])
def test_each_status_enum_is_the_api_models(enum, shapes):
    for shape in shapes:
        assert sorted(enum) == sorted(MODEL.shape_for(shape).enum), shape


def test_each_row_names_what_the_api_model_has():
    config_members = MODEL.operation_model("CreateAppImageConfig").input_shape.members
    user_settings = MODEL.shape_for("UserSettings").members
    app_members = MODEL.operation_model("CreateApp").input_shape.members
    assert set(AppType) <= set(MODEL.shape_for("AppType").enum)
    assert {k.app_type for k in APP_KINDS} == set(AppType)
    for kind in APP_KINDS:
        assert kind.owner in app_members
        if kind.takes_image:
            assert kind.config_member in config_members and kind.domain_setting in user_settings
        assert f"{kind.app_type}AppSettings" in user_settings


def test_the_views_the_stages_read():
    # Classic's image kind first: messages list them in this order.
    assert studio.APP_TYPES == ("KernelGateway", "JupyterLab", "CodeEditor")
    assert studio.SPACE_APP_TYPES == ("JupyterLab", "CodeEditor")
    assert set(studio.PROFILE_APP_TYPES) == {"KernelGateway", "JupyterServer"}
    # The user's Jupyter server takes no custom image: no config member, no domain setting.
    assert "JupyterServer" not in studio.APP_SETTINGS_OF and "JupyterServer" not in studio.APP_TYPES
    assert studio.APP_SETTINGS["KernelGatewayAppSettings"] == "KernelGatewayImageConfig"
    assert studio.BASE_PATHS == {"JupyterLab": "/jupyterlab/default",
                                 "CodeEditor": "/CodeEditor/default"}
    assert [k.app_type for k in APP_KINDS if k.user_configurable] == ["KernelGateway"]


def test_paths_and_urls_of_each_kind():
    lab, editor, gateway, server = (APPS[t] for t in ("JupyterLab", "CodeEditor", "KernelGateway",
                                                      "JupyterServer"))
    assert lab.ready_path() == "/jupyterlab/default/api/status"
    assert lab.url_path("http://h:1/jupyterlab/default") == "http://h:1/jupyterlab/default/lab"
    # Both spellings of Code Editor's path are Studio's; it answers on the path itself.
    assert editor.base_paths == ("/CodeEditor/default", "/codeeditor/default")
    assert editor.ready_path("/codeeditor/default") == "/codeeditor/default/"
    assert editor.url_path() == "/CodeEditor/default/"
    assert (gateway.ready_path(), gateway.url_path()) == ("/api/kernelspecs", None)
    assert (server.ready_path(), server.url_path()) == ("/api/status", "/lab")
    assert all(f":{studio.APP_PORT} " in k.fix_hint and k.base_path in k.fix_hint
               for k in APP_KINDS if k.is_space)


def test_members_are_their_values_wherever_a_string_goes():
    status = AppStatus.IN_SERVICE
    assert (f"{status}", str(status), "%s" % status, status + "!") == ("InService",) * 3 + ("InService!",)
    assert json.dumps({Owner.SPACE: status}) == '{"SpaceName": "InService"}'
    assert status == "InService" and {"InService": 1}[status] == 1
    assert pickle.loads(pickle.dumps(status)) is status
    assert APPS["CodeEditor"] is APPS[AppType.CODE_EDITOR]


def test_the_terraform_module_allows_the_image_kinds():
    variables = (PROJECT_ROOT / "terraform/modules/studio-image/variables.tf").read_text()
    allowed = re.search(r'contains\(\[([^\]]*)\], var\.app_type\)', variables)[1]
    assert tuple(json.loads(f"[{allowed}]")) == studio.APP_TYPES
    # HCL cannot read the table: every app type it names must be one of its rows.
    for tf in (PROJECT_ROOT / "terraform").rglob("*.tf"):
        for word in re.findall(r'"([A-Za-z]+)"', tf.read_text()):
            if word.endswith(("Gateway", "Lab", "Editor", "Server")):
                assert word in studio.APP_TYPES, f"{tf}: {word}"


WORDS = "|".join(sorted({*AppType, *AppStatus, *ResourceStatus, *ImageStatus, *ImageVersionStatus,
                         *(k.config_member for k in APP_KINDS if k.config_member),
                         *(k.domain_setting for k in APP_KINDS if k.domain_setting)}))
# A quoted app type, status or AppImageConfig/domain member, a base path, a ready route.
LITERAL = re.compile(rf"""(["'])({WORDS})\1|/(?i:jupyterlab|codeeditor)/default|/api/status""")


def test_no_module_writes_an_app_type_base_path_or_status_of_its_own():
    # images/ holds users' image folders, which must name their app type and base path.
    files = subprocess.run(["git", "ls-files", "studio_containers", "bench", "local", "tasks.py"],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.split()
    found = [f"{name}:{number}: {line.strip()}"
             for name in files if name.endswith(".py") and name != "studio_containers/studio.py"
             for number, line in enumerate((PROJECT_ROOT / name).read_text().splitlines(), 1)
             if LITERAL.search(line)]
    assert found == []
