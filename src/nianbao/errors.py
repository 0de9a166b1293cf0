"""Errors the library raises; the CLI turns them into one line on stderr and exit status 2."""


class UnusableInput(Exception):
    """The file cannot be read as an annual report (unreadable, binary, empty, not a report)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
