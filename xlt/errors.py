"""User-facing errors: one line that names the key or ``file:line`` and what was expected."""

from __future__ import annotations

import functools
import sys


class UserError(Exception):
    """An error caused by the user's input (config, data files), reported as one line, no traceback."""


def location(path, line: int | None = None) -> str:
    """Format ``path:line`` (or just ``path``) for error messages."""
    return f"{path}:{line}" if line is not None else str(path)


def exit_on_user_error(func):
    """Decorator for entry points: a :class:`UserError` becomes one line on stderr and exit status 1.

    In a workflow job (:func:`xlt.runtime.start` sends stderr to the rule's log) the line goes to the log and to
    the terminal the workflow runs in, so it is not hidden behind Snakemake's "check log file(s)"."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            terminal = sys.__stderr__
            if terminal is not None and terminal is not sys.stderr:  # a workflow job: its stderr is the rule's log
                print(f"error: {err}", file=terminal, flush=True)
            raise SystemExit(1) from None

    return wrapper
