"""Builds: content-hash tags, skip when unchanged, a clear error when a Dockerfile fails."""
import pytest

from studio_containers.build.dockerbuild import image_exists
from studio_containers.build.images import build_image, build_images, repository
from studio_containers.errors import UserError
from studio_containers.spec import load_spec
from tests.helpers import write_image

SPEC = "name: {name}\nkernels: [{{name: python3}}]\n"


def test_unchanged_image_is_not_rebuilt_and_latest_follows(workspace, built, capsys):
    again = build_images(workspace, [built.spec])
    assert again[0].ref == built.ref and again[0].rebuilt is False
    assert "Nothing to rebuild" in capsys.readouterr().out
    assert workspace.client.images.get(f"{repository(built.spec)}:latest").id == built.image_id


def test_a_change_makes_a_new_content_tag(workspace, tmp_path):
    folder = write_image(tmp_path / "hash-demo", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo one\n",
                         SPEC.format(name="hash-demo"))
    first = build_image(workspace, load_spec(folder))
    (folder / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo two\n")
    second = build_image(workspace, load_spec(folder))
    try:
        assert first.rebuilt and second.rebuilt and first.ref != second.ref
    finally:
        for ref in (first.ref, second.ref, f"{repository(first.spec)}:latest"):
            workspace.client.images.remove(ref, force=True)


def test_failing_dockerfile_reports_file_and_tail(workspace, tmp_path, capsys):
    folder = write_image(tmp_path / "broken", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
                         "RUN echo about-to-fail && exit 7\n", SPEC.format(name="broken"))
    spec = load_spec(folder)
    with pytest.raises(UserError) as info:
        build_image(workspace, spec)
    assert str(info.value).startswith(f"{spec.dockerfile}: build failed: ")
    # BuildKit names the step and its exit code; the legacy builder its own sentence.
    assert ("[2/2] RUN echo about-to-fail && exit 7: exit code 7" in str(info.value)
            if workspace.builder.buildkit else "returned a non-zero code: 7" in str(info.value))
    assert "about-to-fail" in capsys.readouterr().err  # the failing step's last lines
    assert not image_exists(workspace.client, f"{repository(spec)}:latest")
