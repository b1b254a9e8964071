"""BuildKit's plain progress (`--progress plain`), condensed to one line per Dockerfile step.

Each line of that output belongs to a numbered vertex: `#5 [2/3] RUN pip install ...` names it,
then come `#5 CACHED`, `#5 0.512 <output>`, `#5 DONE 3.2s` or `#5 ERROR: ...`. Parallel stages
interleave. A step is shown once: when its first news arrives, marked "(cached)" if that news
is a cache hit, or once it has run quietly for a moment (a long silent step is shown while it
runs, not after). The builder's own housekeeping ([internal], [auth], exporting) is not shown
unless the build is verbose, in which case every line is.
"""
import re
import time
from dataclasses import dataclass, field
from typing import Callable

from ..console import Tail, detail

LINE_RE = re.compile(r"^#(?P<id>\d+) (?P<rest>.*)$")
STEP_RE = re.compile(r"^\[(?P<stage>[^\]]*?)\s*\d+/\d+\] ")
DONE_RE = re.compile(r"^DONE (?P<seconds>[\d.]+)s$")
EXIT_RE = re.compile(r"exit code: (\d+)")
FROM_RE = re.compile(r"^\[[^\]]*\] FROM ")
# Vertices worth a line besides the steps: where a cache came from.
SHOWN_RE = re.compile(r"^importing cache manifest from ")
# What the 20.10 CLI and buildx put before the reason a build failed.
NOISE_RE = re.compile(r"^(ERROR: )?(failed to solve( with frontend [\w.]+)?: )+"
                      r"(failed to (build LLB|create LLB definition): )?")


QUIET = 0.3     # seconds a step may go without news before it is shown as running


@dataclass
class Vertex:
    name: str
    named_at: float = 0.0
    shown: bool = False
    cached: bool = False
    seconds: float | None = None


@dataclass
class Progress:
    verbose: bool = False
    show: Callable[[str], None] = detail
    tail: Tail = field(default_factory=Tail)
    vertices: dict[str, Vertex] = field(default_factory=dict)
    failed: Vertex | None = None
    last_line: str = ""

    def feed(self, line: str, now: float | None = None) -> None:
        line = line.rstrip("\n")
        if not line.strip():
            return
        self.tail.feed(line)
        if self.verbose:
            self.show(line)
        match = LINE_RE.match(line)
        if not match:
            if not line.startswith(("------", " > ", "  ", ">>>", "Dockerfile:")):
                self.last_line = line.strip()
            return
        vid, rest = match["id"], match["rest"]
        vertex = self.vertices.get(vid)
        if vertex is None:
            # A vertex's first line is its name; its next one says if it came from the cache.
            self.vertices[vid] = Vertex(rest, time.monotonic() if now is None else now)
            return
        if rest == vertex.name or rest.startswith("sha256:") or rest == "...":
            return
        if rest == "CACHED":
            vertex.cached = True
        elif done := DONE_RE.match(rest):
            vertex.seconds = float(done["seconds"])
        elif rest.startswith("ERROR"):
            self.failed = vertex
        self._announce(vertex)

    def tick(self, now: float | None = None) -> None:
        """Show the steps that have run without news for QUIET seconds."""
        now = time.monotonic() if now is None else now
        for vertex in list(self.vertices.values()):
            if not vertex.shown and now - vertex.named_at >= QUIET:
                self._announce(vertex)

    def _announce(self, vertex: Vertex) -> None:
        if vertex.shown or self.verbose or not self.worth_a_line(vertex):
            return
        vertex.shown = True
        name = " ".join(vertex.name.split())    # a continued RUN line keeps its runs of spaces
        self.show(f"{name} (cached)" if vertex.cached and not FROM_RE.search(name) else name)

    @staticmethod
    def worth_a_line(vertex: Vertex) -> bool:
        return bool(STEP_RE.match(vertex.name) or SHOWN_RE.match(vertex.name))

    @property
    def steps(self) -> list[Vertex]:
        """The Dockerfile's steps this build went through, FROM lines aside."""
        return [v for v in self.vertices.values()
                if STEP_RE.match(v.name) and not FROM_RE.search(v.name)]

    def summary(self) -> str:
        steps = self.steps
        cached = sum(1 for v in steps if v.cached)
        return f"{len(steps)} step(s), {cached} from cache"

    def exit_code(self) -> int | None:
        """The exit code of the step that failed, when the build failed that way."""
        code = EXIT_RE.search(self.last_line)
        return int(code[1]) if code and self.failed is not None else None

    def failure(self) -> str:
        """The reason in one line: the failing step and its exit code where there are both,
        else the builder's last word."""
        reason = NOISE_RE.sub("", self.last_line).strip() or "the builder gave no reason"
        if self.failed is not None and STEP_RE.match(self.failed.name):
            step = self.failed.name if len(self.failed.name) <= 160 else self.failed.name[:157] + "..."
            code = self.exit_code()
            return f"{step}: exit code {code}" if code is not None else f"{step}: {reason}"
        return reason
