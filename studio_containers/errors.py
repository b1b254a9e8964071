"""The one exception type that reaches the user as a single line (no traceback)."""
import reprlib


class UserError(Exception):
    """A problem the user can fix; the message names the file/field/flag and what is allowed."""


# A YAML alias bomb (each anchor a list of aliases of the one before) is tiny as loaded and
# astronomic as printed, and a value may hold megabytes: values in messages are shown bounded.
_SHOWN = reprlib.Repr()
for _limit, _most in dict(maxlevel=2, maxlist=4, maxtuple=4, maxdict=4, maxset=4,
                          maxfrozenset=4, maxstring=80, maxother=80, maxlong=40).items():
    setattr(_SHOWN, _limit, _most)


def shown(value) -> str:
    """`value` as repr() writes it, cut short: for the value a message quotes."""
    return _SHOWN.repr(value)


def first_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's first line, short enough for a one-line error."""
    lines = str(exc).strip().splitlines()
    return lines[0][:limit] if lines else type(exc).__name__
