"""Typed errors of sisterqa. The CLI and the UI turn them into one clear line."""

from __future__ import annotations


class SisterQAError(Exception):
    """Base class: a problem a user can understand and act on."""

    exit_code = 1


class BadPaper(SisterQAError):
    """A file that cannot be read as a paper; the message names the file and why."""

    exit_code = 2

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def public_error(e: Exception) -> str:
    """An error as a chat user is shown it: without paths and process ids where the error has a
    public wording (another ingest running)."""
    return getattr(e, "public", None) or str(e)
