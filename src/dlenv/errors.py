"""Exit codes and the one exception type for expected failures.

Every expected failure (bad input, unreadable file, malformed policy) is raised as `DlenvError`
and caught once at the CLI boundary, which prints its one-line message and exits with its code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit statuses of every dlenv command (documented in the README and `--help`)."""

    OK = 0
    FINDINGS = 1  # findings at or above --fail-on, or a policy requirement failed
    USAGE = 2  # usage or input error: bad option, unreadable or malformed file
    INTERRUPTED = 130


class DlenvError(Exception):
    """An expected failure with a one-line message for the user and an exit code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
