"""A finding's line: level, image, class and its name, evidence, fix."""
from studio_containers.validate.findings import Finding


def test_a_finding_line_names_class_evidence_and_fix():
    line = Finding(4, "/x is owned by 70000:0 in layer 2 of 9", "chown it").line("img")
    assert line == ("FAIL img: class 4 (file owned by UID/GID > 65535): /x is owned by 70000:0 "
                    "in layer 2 of 9. Fix: chown it")
    warning = Finding(10, "the image is 21 GB", "keep it small", warning=True).line("img")
    assert warning.startswith("warning img: class 10 (image too large)")
