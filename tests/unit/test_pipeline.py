"""prepare(): how far each task goes (build, runtime, validation) and what a failing check says."""
from unittest import mock

import pytest

from studio_containers import pipeline
from studio_containers.errors import UserError
from studio_containers.pipeline import Checks, prepare
from tests.helpers import made_up_spec, project_settings

KG, SPACE = made_up_spec(), made_up_spec(app_type="JupyterLab", kernels=())


@pytest.fixture
def stages():
    """The boundaries prepare() calls, replaced: engine and base, build, runtime, validation."""
    with mock.patch.object(pipeline, "open_workspace") as workspace, \
            mock.patch.object(pipeline, "build_images") as build, \
            mock.patch.object(pipeline, "ensure_runtime") as runtime, \
            mock.patch.object(pipeline, "validate_images") as validate:
        image = mock.Mock()
        image.spec.name = "demo"
        build.return_value = [image]
        yield mock.Mock(workspace=workspace, build=build, runtime=runtime, validate=validate,
                        image=image)


def test_build_only_provides_no_runtime_and_checks_nothing(stages):
    prepared = prepare(project_settings(), [KG])
    assert prepared.built == [stages.image] and prepared.runtime is None
    stages.runtime.assert_not_called()
    stages.validate.assert_not_called()


@pytest.mark.parametrize("checks, use_record", [(Checks.REPORT, True), (Checks.GATE, True),
                                                (Checks.AGAIN, False)])
def test_validation_gets_the_runtime_and_uses_the_record_unless_again(stages, checks, use_record):
    prepared = prepare(project_settings(), [KG], checks=checks)
    assert prepared.runtime is stages.runtime.return_value
    assert stages.validate.call_args.kwargs == {"use_record": use_record}
    assert stages.validate.call_args.args[2] is stages.runtime.return_value


def test_a_gate_failure_names_the_skip_flag_and_a_report_failure_does_not(stages):
    stages.validate.side_effect = UserError("validation failed for demo (class 3; see the lines above)")
    with pytest.raises(UserError, match=r"\(class 3; see the lines above\); fix the image, or pass "
                                        r"--skip-validation to go ahead anyway$"):
        prepare(project_settings(), [KG], checks=Checks.GATE)
    with pytest.raises(UserError) as info:
        prepare(project_settings(), [KG], checks=Checks.REPORT)
    assert "--skip-validation" not in str(info.value)


def test_skipping_warns_by_name_and_checks_nothing(stages, capsys):
    prepared = prepare(project_settings(), [KG], checks=Checks.SKIP, runtime=True)
    stages.validate.assert_not_called()
    assert prepared.runtime is stages.runtime.return_value   # local still runs the gateway
    assert "validation skipped (--skip-validation): Studio may fail to start demo" in capsys.readouterr().err


def test_validating_only_space_images_needs_no_gateway_runtime(stages):
    prepared = prepare(project_settings(), [SPACE], checks=Checks.REPORT)
    stages.runtime.assert_not_called()
    assert prepared.runtime is None and stages.validate.called
