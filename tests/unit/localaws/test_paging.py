"""Listings: time bounds, sort order and opaque NextToken pages."""
import subprocess
import sys
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from moto.sagemaker.exceptions import ValidationError

from studio_containers import PROJECT_ROOT
from studio_containers.localaws.sagemaker.paging import listing, page


def test_pages_and_bad_tokens():
    items = list(range(5))
    first, token = page(items, 2, None)
    second, token2 = page(items, 2, token)
    last, end = page(items, 2, token2)
    assert (first, second, last, end) == ([0, 1], [2, 3], [4], None)
    with pytest.raises(ValidationError, match="NextToken"):
        page(items, 2, "!!not-a-token")


def test_a_page_holds_ten_when_no_size_is_given():
    assert page(list(range(12)), None, None)[0] == list(range(10))


def _at(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=timezone.utc)


def test_listing_keeps_what_is_inside_the_bounds_and_sorts_by_the_api_key():
    items = [SimpleNamespace(name=n, creation_time=_at(d), last_modified_time=_at(d + 10))
             for n, d in (("b", 1), ("a", 2), ("c", 3), ("d", 4))]
    found, token = listing(items, [("creation_time", _at(1), True),
                                   ("last_modified_time", _at(13), False)],
                           "IMAGE_NAME", False, None, None)
    assert ([i.name for i in found], token) == (["a", "c"], None)
    newest, token = listing(items, [], "CREATION_TIME", True, 3, None)
    assert [i.name for i in newest] == ["d", "c", "a"] and token
    assert [i.name for i in listing(items, [], "CREATION_TIME", True, 3, token)[0]] == ["b"]



def test_a_token_outlives_the_process_that_made_it():
    """A deploy restarts the server between pages (kept_running): the next process reads it."""
    made = subprocess.run([sys.executable, "-c", "from studio_containers.localaws.sagemaker.paging import "
                           "page; print(page(list(range(5)), 2, None)[1])"],
                          capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    found, token = page(list(range(5)), 2, made.stdout.strip())
    assert found == [2, 3] and token
