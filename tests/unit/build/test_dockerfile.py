"""Reading a Dockerfile ahead of the builder: logical lines, flags, heredocs, directives, and the
images FROM lines name once build arguments are put in."""
import pytest

from studio_containers.build.dockerfile import parse, substitute

USERS_DOCKERFILE = """\
# syntax=docker/dockerfile:1
# escape=\\
ARG PYTHON=3.11
ARG BASE_IMAGE=python:${PYTHON}-slim
FROM ${BASE_IMAGE} AS deps
RUN --mount=type=cache,target=/root/.cache/pip \\
    # a comment inside a continuation is dropped
    pip install \\

    requests
COPY --chmod=755 run.sh /usr/local/bin/run
COPY --link app/ /app/
RUN <<EOF
echo one
FROM not-an-instruction
EOF
COPY <<-"CONF" /etc/app.conf
\tkey = value
\tCONF
from --platform=linux/amd64 deps as Final
COPY --from=deps --chown=1000:100 /app /app
RUN cat <<< "a here-string is shell, not a heredoc"
"""


def test_instructions_flags_and_lines():
    parsed = parse(USERS_DOCKERFILE)
    assert parsed.syntax == ("docker/dockerfile:1", 1)
    keywords = [(i.keyword, i.line) for i in parsed.instructions]
    assert keywords == [("ARG", 3), ("ARG", 4), ("FROM", 5), ("RUN", 6), ("COPY", 11),
                        ("COPY", 12), ("RUN", 13), ("COPY", 17), ("FROM", 20), ("COPY", 21),
                        ("RUN", 22)]
    run = parsed.instructions[3]
    assert run.flag("mount") == "type=cache,target=/root/.cache/pip"
    assert run.args == "pip install requests"
    assert [i.heredoc for i in parsed.instructions] == [False] * 6 + [True, True, False, False, False]


def test_what_needs_buildkit_and_a_newer_syntax():
    features = [(f.line, f.what, f.version) for f in parse(USERS_DOCKERFILE).buildkit_features()]
    assert features == [(6, "RUN --mount", "1.2"), (11, "COPY --chmod", "1.2"),
                        (12, "COPY --link", "1.4"), (13, "RUN heredoc (<<EOF)", "1.4"),
                        (17, "COPY heredoc (<<EOF)", "1.4")]
    legacy = "FROM --platform=linux/amd64 x\nCOPY --from=a --chown=1:1 . /\nADD --chown=1 a /a\n"
    assert parse(legacy).buildkit_features() == []


def test_from_images_take_build_arguments_and_skip_stages_and_scratch():
    parsed = parse(USERS_DOCKERFILE)
    assert parsed.from_images({}) == [(5, "python:3.11-slim", "${BASE_IMAGE}")]
    assert parsed.from_images({"BASE_IMAGE": "studio-containers/base:1"}) == [
        (5, "studio-containers/base:1", "${BASE_IMAGE}")]
    assert parsed.from_images({"PYTHON": "3.6"})[0][1] == "python:3.6-slim"
    other = parse("ARG TAG\nFROM scratch AS s\nFROM team/img:$TAG\nFROM s\n")
    assert other.from_images({}) == [(3, None, "team/img:$TAG")]
    assert other.from_images({"TAG": "2"}) == [(3, "team/img:2", "team/img:$TAG")]


@pytest.mark.parametrize("text, values, expected", [
    ("${A}", {"A": "x"}, "x"),
    ("$A/b", {"A": "x"}, "x/b"),
    ("${A:-dflt}", {}, "dflt"),
    ("${A:-dflt}", {"A": ""}, "dflt"),
    ("${A-dflt}", {"A": ""}, ""),
    ("${A:+alt}", {"A": "x"}, "alt"),
    ("${A:+alt}", {}, ""),
    ("${A}", {}, None),
])
def test_substitution(text, values, expected):
    assert substitute(text, values) == expected


def test_directives_end_at_the_first_other_line():
    parsed = parse("\n# syntax=docker/dockerfile:1\nFROM x\n")
    assert parsed.syntax is None
    assert parse("# escape=`\nFROM x\nRUN a `\n  b\n").instructions[1].args == "a b"
