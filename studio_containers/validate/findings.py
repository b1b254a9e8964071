"""A validation result: the failure class, what was seen, and how to fix it."""
from dataclasses import dataclass

CLASSES = {
    1: "kernel not in the image",
    2: "UID/GID Studio does not accept",
    3: "UID/GID is not the image's user",
    4: "file owned by UID/GID > 65535",
    5: "kernel files under the mount path",
    6: "not linux/amd64",
    7: "python on PATH does not hold the kernels",
    8: "reserved path or port 8888",
    10: "image too large",
}


@dataclass(frozen=True)
class Finding:
    cls: int
    evidence: str
    fix: str
    warning: bool = False

    def line(self, image: str) -> str:
        level = "warning" if self.warning else "FAIL"
        return (f"{level} {image}: class {self.cls} ({CLASSES[self.cls]}): {self.evidence}. "
                f"Fix: {self.fix}")
