"""The stack folder: a fresh copy of terraform/, init only on a change, private inputs."""
import json
import stat

from studio_containers.deploy.stack import TFVARS, StackFolder


def test_stack_folder_copies_the_configuration_and_inits_only_when_it_changes(tmp_path):
    folder = StackFolder(tmp_path, "local")
    folder.sync("")
    assert (folder.stack / "main.tf").exists()
    assert (folder.root / "modules" / "studio-image" / "main.tf").exists()
    assert (folder.stack / ".terraform.lock.hcl").exists()
    assert folder.needs_init({})
    folder.mark_initialised({})
    assert not folder.needs_init({})
    assert folder.needs_init({"bucket": "b"})
    stale = folder.stack / "old.tf"
    stale.write_text("# removed upstream\n")
    folder.sync('terraform {\n  backend "s3" {}\n}\n')
    assert not stale.exists() and (folder.stack / "backend.tf").exists()
    assert folder.needs_init({})
    folder.sync("")
    assert not (folder.stack / "backend.tf").exists()


def test_inputs_are_private_and_rewritten_only_when_they_change(tmp_path):
    folder = StackFolder(tmp_path, "local")
    path = folder.stack / TFVARS
    folder.write_inputs({"stack": "a"})
    assert json.loads(path.read_text()) == {"stack": "a"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = path.stat().st_ino
    folder.write_inputs({"stack": "a"})
    assert path.stat().st_ino == written          # the same file: not replaced
    folder.write_inputs({"stack": "b"})
    assert json.loads(path.read_text()) == {"stack": "b"}
