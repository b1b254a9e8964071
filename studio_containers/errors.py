"""The one exception type that reaches the user as a single line (no traceback)."""


class UserError(Exception):
    """A problem the user can fix; the message names the file/field/flag and what is allowed."""
