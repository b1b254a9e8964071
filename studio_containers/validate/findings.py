"""A validation result: the failure class, what was seen, and how to fix it."""
from dataclasses import dataclass

from ..studio import FAILURE_CLASSES


@dataclass(frozen=True)
class Finding:
    cls: int
    evidence: str
    fix: str
    warning: bool = False

    def line(self, image: str) -> str:
        level = "warning" if self.warning else "FAIL"
        return (f"{level} {image}: class {self.cls} ({FAILURE_CLASSES[self.cls]}): {self.evidence}. "
                f"Fix: {self.fix}")
