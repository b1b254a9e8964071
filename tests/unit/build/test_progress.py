"""BuildKit's plain progress, condensed: one line per step, cache hits marked, a quiet step shown
while it runs, and the reason of a failure in one line. The transcripts are the shapes the
engine's built-in BuildKit (20.10) and buildx print."""
from studio_containers.build.progress import QUIET, Progress

ENGINE_20_10 = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:bb5c
#1 transferring dockerfile: 419B done
#1 DONE 0.0s

#4 [b 1/2] FROM docker.io/studio-containers/trusted-base:8820be7a8fdc
#4 sha256:6a6a
#4 CACHED

#7 importing cache manifest from 127.0.0.1:5567/team/img:abc
#7 DONE 0.0s

#5 [a 2/2] RUN sleep 2 && echo a > /a
#5 sha256:77e6
#5 ...

#6 [b 2/2] RUN pip install     requests
#6 sha256:a5a8
#6 CACHED

#5 [a 2/2] RUN sleep 2 && echo a > /a
#5 sha256:77e6
#5 0.512 a log line
#5 DONE 2.3s

#9 exporting to image
#9 DONE 0.0s
"""

FAILED_20_10 = """\
#5 [2/2] RUN echo about && exit 7
#5 sha256:df27
#5 0.166 about
#5 ERROR: executor failed running [/bin/sh -c echo about && exit 7]: exit code: 7
------
 > [2/2] RUN echo about && exit 7:
------
executor failed running [/bin/sh -c echo about && exit 7]: exit code: 7
"""

FAILED_BUILDX = """\
#5 [2/2] RUN exit 3
#5 ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3
------
 > [2/2] RUN exit 3:
------
Dockerfile:3
--------------------
>>> RUN exit 3
--------------------
ERROR: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3
"""


def feed(progress: Progress, transcript: str, now: float = 0.0) -> None:
    for line in transcript.splitlines():
        progress.feed(line, now)


def test_one_line_per_step_with_cache_hits_marked():
    shown = []
    progress = Progress(show=shown.append)
    feed(progress, ENGINE_20_10)
    assert shown == ["[b 1/2] FROM docker.io/studio-containers/trusted-base:8820be7a8fdc",
                     "importing cache manifest from 127.0.0.1:5567/team/img:abc",
                     "[b 2/2] RUN pip install requests (cached)",
                     "[a 2/2] RUN sleep 2 && echo a > /a"]
    assert [(s.name.split("]")[0], s.cached) for s in progress.steps] == [("[a 2/2", False),
                                                                        ("[b 2/2", True)]


def test_a_quiet_step_is_shown_while_it_runs_and_a_cached_one_is_not_shown_early():
    shown = []
    progress = Progress(show=shown.append)
    progress.feed("#3 [2/2] RUN sleep 300", now=10.0)
    progress.feed("#3 sha256:abcd", now=10.0)
    progress.tick(now=10.0 + QUIET / 2)
    assert shown == []
    progress.tick(now=10.0 + QUIET)
    assert shown == ["[2/2] RUN sleep 300"]
    progress.feed("#4 [3/3] RUN true", now=11.0)
    progress.feed("#4 CACHED", now=11.0)
    progress.tick(now=20.0)
    assert shown == ["[2/2] RUN sleep 300", "[3/3] RUN true (cached)"]


def test_verbose_shows_every_line():
    shown = []
    feed(Progress(verbose=True, show=shown.append), ENGINE_20_10)
    assert shown == [line for line in ENGINE_20_10.splitlines() if line.strip()]


def test_a_failing_step_is_named_with_its_exit_code():
    for transcript, expected in ((FAILED_20_10, ("[2/2] RUN echo about && exit 7: exit code 7", 7)),
                                 (FAILED_BUILDX, ("[2/2] RUN exit 3: exit code 3", 3))):
        progress = Progress(show=lambda line: None)
        feed(progress, transcript)
        assert (progress.failure(), progress.exit_code()) == expected


def test_any_other_failure_is_the_builders_last_word_without_its_prefixes():
    progress = Progress(show=lambda line: None)
    feed(progress, "#3 [internal] load metadata for docker.io/library/python:3.6\n"
                   "#3 ERROR: failed to do request: dial tcp: no such host\n"
                   "failed to solve with frontend dockerfile.v0: failed to create LLB "
                   "definition: failed to do request: dial tcp: no such host\n")
    assert progress.failure() == "failed to do request: dial tcp: no such host"
    assert progress.exit_code() is None
