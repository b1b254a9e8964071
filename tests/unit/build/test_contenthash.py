"""Content hashes: the same folder and base give the same tag; any change gives another."""
import os

from studio_containers.build.contenthash import folder_hash


def test_folder_hash_follows_content_mode_and_extra(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    first = folder_hash(tmp_path, "base1")
    assert folder_hash(tmp_path, "base1") == first
    assert folder_hash(tmp_path, "base2") != first
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_text("junk")
    assert folder_hash(tmp_path, "base1") == first
    (tmp_path / "run.sh").write_text("echo\n")
    second = folder_hash(tmp_path, "base1")
    assert second != first
    os.chmod(tmp_path / "run.sh", 0o755)
    assert folder_hash(tmp_path, "base1") != second
