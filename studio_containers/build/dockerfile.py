"""What a Dockerfile asks of the builder, read before any build starts.

Only as much of Dockerfile syntax as the tool must know ahead of the builder: parser directives,
logical lines (continuations, comments, heredocs), each instruction's flags, and the images its
FROM lines name once build arguments are put in. The builder stays the judge of everything
else; this lets a missing feature or an unreachable image be told in one line, naming the line.
"""
import re
import shlex
from dataclasses import dataclass

DIRECTIVE_RE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
# A heredoc opener (Dockerfile syntax 1.4) is a word of its own that starts <<EOF, <<-EOF,
# <<"EOF" (a file descriptor may come first: 3<<EOF); not a here-string <<<, not `<<` inside a
# quoted word ('s/<<OLD/new/').
HEREDOC_RE = re.compile(r"^\d*<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
ARG_RE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+])?(?P<word>[^}]*)\}"
                    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")
# Flags the legacy builder reads; any other flag (and every heredoc) needs BuildKit.
LEGACY_FLAGS = {"FROM": {"platform"}, "COPY": {"from", "chown"}, "ADD": {"chown"},
                "HEALTHCHECK": {"interval", "timeout", "start-period", "retries",
                                "start-interval"}}
# Features newer than the Dockerfile frontend built into engines before 23.0 (syntax 1.3).
MODERN_SYNTAX = (1, 4)
MODERN_FLAGS = {("COPY", "link"): (1, 4), ("ADD", "link"): (1, 4), ("ADD", "checksum"): (1, 6),
                ("ADD", "keep-git-dir"): (1, 5), ("COPY", "parents"): (1, 7),
                ("COPY", "exclude"): (1, 7), ("ADD", "exclude"): (1, 7)}


@dataclass(frozen=True)
class Instruction:
    keyword: str                    # upper case: RUN, COPY, FROM, ...
    flags: tuple[str, ...]          # leading --name[=value] options, as written
    args: str                       # the rest of the logical line
    line: int                       # 1-based line of the keyword
    heredoc: bool = False           # carries a heredoc (<<EOF ... EOF)

    @property
    def flag_names(self) -> list[str]:
        return [f[2:].split("=", 1)[0].lower() for f in self.flags]

    def flag(self, name: str) -> str | None:
        for f in self.flags:
            key, _, value = f[2:].partition("=")
            if key.lower() == name:
                return value
        return None


@dataclass(frozen=True)
class Feature:
    line: int
    what: str                       # as a user would search for it: "RUN --mount", "heredoc"
    syntax: tuple[int, int]         # the Dockerfile syntax it appeared in

    @property
    def version(self) -> str:
        return f"{self.syntax[0]}.{self.syntax[1]}"


@dataclass(frozen=True)
class Dockerfile:
    directives: dict[str, tuple[str, int]]      # lower-case name -> (value, line)
    instructions: tuple[Instruction, ...]

    @property
    def syntax(self) -> tuple[str, int] | None:
        """The `# syntax=` directive's frontend image and its line, if any."""
        return self.directives.get("syntax")

    def buildkit_features(self) -> list[Feature]:
        """What the legacy builder cannot build, each with the syntax version it came with."""
        found = []
        for ins in self.instructions:
            if ins.heredoc:
                found.append(Feature(ins.line, f"{ins.keyword} heredoc (<<EOF)", MODERN_SYNTAX))
            for name in ins.flag_names:
                if name not in LEGACY_FLAGS.get(ins.keyword, set()):
                    syntax = MODERN_FLAGS.get((ins.keyword, name), (1, 2))
                    found.append(Feature(ins.line, f"{ins.keyword} --{name}", syntax))
        return found

    def args_in_scope(self, given: dict[str, str]) -> dict[str, str]:
        """The global ARGs (before the first FROM): their defaults, overridden by `given`."""
        values: dict[str, str] = {}
        for ins in self.instructions:
            if ins.keyword == "FROM":
                break
            if ins.keyword == "ARG":
                for token in ins.args.split():
                    name, eq, default = token.partition("=")
                    if name in given:
                        values[name] = given[name]
                    elif eq:
                        values[name] = substitute(_unquote(default), values) or ""
        return values

    def from_images(self, given: dict[str, str]) -> list[tuple[int, str | None, str]]:
        """(line, image, as written) for each FROM naming an image: not `scratch`, not an
        earlier stage. `image` is None where a build argument in it has no value."""
        args = self.args_in_scope(given)
        stages: set[str] = set()
        found = []
        for ins in self.instructions:
            if ins.keyword != "FROM":
                continue
            words = ins.args.split()
            if not words:
                continue
            written = words[0]
            image = substitute(written, args)
            if image is not None and image.lower() != "scratch" and image.lower() not in stages:
                found.append((ins.line, image, written))
            elif image is None:
                found.append((ins.line, None, written))
            if len(words) >= 3 and words[1].lower() == "as":
                stages.add(words[2].lower())
        return found


def substitute(text: str, values: dict[str, str]) -> str | None:
    """`text` with $NAME / ${NAME} / ${NAME:-word} / ${NAME:+word} put in; None if a NAME
    without a default has no value."""
    missing = False

    def one(match: re.Match) -> str:
        nonlocal missing
        name = match["braced"] or match["plain"]
        value = values.get(name)
        op, word = match["op"], match["word"] or ""
        if op in (":-", "-"):
            return value if value not in (None, "") or (op == "-" and value is not None) else word
        if op in (":+", "+"):
            return word if value not in (None, "") or (op == "+" and value is not None) else ""
        if value is None:
            missing = True
            return ""
        return value
    result = ARG_RE.sub(one, text)
    return None if missing else result


def parse(text: str) -> Dockerfile:
    lines = text.splitlines()
    directives: dict[str, tuple[str, int]] = {}
    start = 0
    for start, raw in enumerate(lines):
        match = DIRECTIVE_RE.match(raw.strip())
        if not match or match[1].lower() in directives:
            break
        directives[match[1].lower()] = (match[2], start + 1)
    else:
        start = len(lines)
    escape = directives.get("escape", ("\\", 0))[0] or "\\"
    instructions, i = [], start
    while i < len(lines):
        raw = lines[i]
        if not raw.strip() or raw.lstrip().startswith("#"):
            i += 1
            continue
        first, parts = i + 1, []
        while True:
            stripped = lines[i].rstrip()
            if stripped.endswith(escape):
                parts.append(stripped[:-1])
                i += 1
                # Comment and blank lines inside a continuation are dropped, as Docker does.
                while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                    i += 1
                if i < len(lines):
                    continue
            else:
                parts.append(lines[i])
            i += 1
            break
        logical = " ".join(p.strip() for p in parts)
        keyword, rest = (re.split(r"\s+", logical.strip(), maxsplit=1) + [""])[:2]
        keyword = keyword.upper()
        flags, rest = _flags(rest.strip())
        heredocs = _heredocs(rest) if keyword in ("RUN", "COPY", "ADD") else []
        for dash, _, word in heredocs:
            # The heredoc's body follows the line; it is not Dockerfile syntax.
            while i < len(lines) and (lines[i].lstrip("\t") if dash else lines[i]) != word:
                i += 1
            i += 1
        instructions.append(Instruction(keyword, tuple(flags), rest, first, bool(heredocs)))
    return Dockerfile(directives, tuple(instructions))


def _flags(rest: str) -> tuple[list[str], str]:
    flags = []
    while rest.startswith("--"):
        token, rest = (re.split(r"\s+", rest, maxsplit=1) + [""])[:2]
        flags.append(token)
    return flags, rest


def _heredocs(rest: str) -> list[tuple[str, str, str]]:
    """(dash, quote, word) of each heredoc the line opens: its shell words, quotes kept, that
    start with `<<`."""
    try:
        words = shlex.split(rest, posix=False)
    except ValueError:          # an unbalanced quote: the builder will say; words as written
        words = rest.split()
    return [m.groups() for w in words if (m := HEREDOC_RE.match(w))]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
