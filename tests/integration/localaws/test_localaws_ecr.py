"""Local ECR: push by content hash, skip what is there, pull by digest, resolve in ImageVersions."""
import base64
import json

import pytest

from studio_containers.build.images import build_image
from studio_containers.deploy.push import PushRecord, push_images
from studio_containers.errors import UserError
from studio_containers.spec import load_spec
from tests.helpers import write_image


@pytest.fixture(scope="module")
def tiny(workspace, tmp_path_factory):
    folder = write_image(tmp_path_factory.mktemp("img") / "push-demo",
                         "FROM scratch\nCOPY marker /marker\n",
                         "name: push-demo\nkernels: [{name: python3}]\n")
    (folder / "marker").write_text("pushed by the local ECR test\n")
    built = build_image(workspace, load_spec(folder))
    yield built
    workspace.client.images.remove(built.ref, force=True)


def test_push_skip_and_pull_by_digest(aws, tiny, workspace, tmp_path, capsys):
    local, endpoint = aws
    ecr, client = endpoint.client("ecr"), workspace.client
    record = PushRecord(tmp_path)

    with pytest.raises(UserError, match="ECR repository team/push-demo does not exist"):
        push_images(client, ecr, [tiny], "team", record, "local")

    [pushed] = push_images(client, ecr, [tiny], "team", record, "local", create_repository=True)
    assert pushed.pushed and pushed.tag == tiny.content_hash
    assert pushed.repository_uri == f"{endpoint.registry_host}/team/push-demo"
    assert pushed.digest.startswith("sha256:")
    listed = ecr.describe_images(repositoryName="team/push-demo")["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in listed] == [(pushed.digest, [pushed.tag])]
    assert json.loads(record.path.read_text())["local"]["push-demo"]["image_uri"] == \
        pushed.image_uri

    [again] = push_images(client, ecr, [tiny], "team", record, "local")
    assert not again.pushed and again.digest == pushed.digest
    assert "Nothing to push" in capsys.readouterr().out

    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, _, password = base64.b64decode(token).decode().partition(":")
    pulled = client.images.pull(pushed.image_uri, auth_config={"username": user,
                                                                "password": password})
    try:
        assert pulled.id == tiny.image_id
        assert pushed.image_uri in pulled.attrs["RepoDigests"]
    finally:
        client.images.remove(pushed.image_uri, force=False)

    sm = endpoint.client("sagemaker")
    sm.create_image(ImageName="push-demo", RoleArn="arn:aws:iam::123456789012:role/any-role-x")
    sm.create_image_version(ImageName="push-demo",
                            BaseImage=f"{pushed.repository_uri}:{pushed.tag}")
    version = sm.describe_image_version(ImageName="push-demo")
    assert version["ImageVersionStatus"] == "CREATED"
    assert version["ContainerImage"] == pushed.image_uri

    # The registry keeps its storage and ECR its record across a restart.
    local.stop()
    local.start()
    assert ecr.describe_images(repositoryName="team/push-demo")["imageDetails"][0][
        "imageDigest"] == pushed.digest
    pulled = client.images.pull(pushed.image_uri, auth_config={"username": user,
                                                                "password": password})
    client.images.remove(pushed.image_uri)
