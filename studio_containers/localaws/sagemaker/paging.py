"""Listings as AWS answers them: kept by time bounds, sorted, and cut into NextToken pages.

Not moto's @paginate: its tokens carry Python's hash() of the request, which differs from one
process to the next, so a token would not survive the restarts a deploy makes (kept_running).
"""
import base64

from moto.sagemaker.exceptions import ValidationError

# The SortBy values of the Studio listings and the attribute each sorts on.
SORT_ATTRIBUTES = {
    "CREATION_TIME": "creation_time", "CreationTime": "creation_time",
    "LAST_MODIFIED_TIME": "last_modified_time", "LastModifiedTime": "last_modified_time",
    "IMAGE_NAME": "name", "Name": "name", "VERSION": "version",
}


def listing(items: list, bounds: list[tuple[str, object, bool]], sort_by: str, descending: bool,
            max_results: int | None, next_token: str | None) -> tuple[list, str | None]:
    """One page of `items`; each bound is (attribute, value, whether to keep what is after it)."""
    for attribute, bound, after in bounds:
        items = [i for i in items if (getattr(i, attribute) > bound) == after]
    items = sorted(items, key=lambda i: getattr(i, SORT_ATTRIBUTES[sort_by]), reverse=descending)
    return page(items, max_results, next_token)


def page(items: list, max_results: int | None, next_token: str | None) -> tuple[list, str | None]:
    """One page of a listing and the token of the next; the token is an opaque offset."""
    try:
        start = int(base64.urlsafe_b64decode(next_token.encode()).decode()) if next_token else 0
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("Invalid pagination token: NextToken.") from None
    size = max_results or 10
    end = start + size
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], token


def with_token(result: dict, token: str | None) -> dict:
    """A listing's answer, with NextToken only when there is a next page."""
    if token:
        result["NextToken"] = token
    return result
