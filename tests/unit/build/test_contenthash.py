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


def test_what_dockerignore_leaves_out_does_not_count_but_the_spec_always_does(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM x\nCOPY . /app\n")
    (tmp_path / "image.yaml").write_text("name: x\n")
    (tmp_path / "notes.log").write_text("one")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "junk").write_text("one")
    (tmp_path / "build" / "keep.txt").write_text("one")
    (tmp_path / ".dockerignore").write_text("# comment\n*.log\nbuild\n!build/keep.txt\nimage.yaml\n")
    first = folder_hash(tmp_path, always=("image.yaml",))
    (tmp_path / "notes.log").write_text("two")
    (tmp_path / "build" / "junk").write_text("two")
    assert folder_hash(tmp_path, always=("image.yaml",)) == first
    (tmp_path / "build" / "keep.txt").write_text("two")
    second = folder_hash(tmp_path, always=("image.yaml",))
    assert second != first
    (tmp_path / "image.yaml").write_text("name: x\ndisplay_name: X\n")
    assert folder_hash(tmp_path, always=("image.yaml",)) != second
    # BuildKit takes Dockerfile.dockerignore instead of .dockerignore when there is one.
    (tmp_path / "Dockerfile.dockerignore").write_text("build\n")
    third = folder_hash(tmp_path)
    (tmp_path / "notes.log").write_text("three")
    assert folder_hash(tmp_path) != third
