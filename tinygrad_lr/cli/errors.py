"""The CLI's own error type."""


class UsageError(Exception):
    """An error in what the user asked for: printed as one line, exit status 2."""
