"""User-facing errors: one line that names the key or ``file:line`` and what was expected."""

from __future__ import annotations

import functools
import logging
import sys


class UserError(Exception):
    """An error caused by the user's input (config, data files), reported as one line, no traceback."""


def location(path, line: int | None = None) -> str:
    """Format ``path:line`` (or just ``path``) for error messages."""
    return f"{path}:{line}" if line is not None else str(path)


def to_terminal(line: str) -> None:
    """Write one line to the terminal the job was started from (the process's original stderr).

    Workflow scripts send ``sys.stderr`` and logging to the rule's log, and Snakemake shows a job's own
    stderr only there; the original stream (``sys.__stderr__``) still reaches the terminal. Where
    ``sys.stderr`` is that stream already, nothing is written (the caller's own output shows there).
    """
    terminal = sys.__stderr__
    if terminal is not None and sys.stderr is not terminal:
        try:
            print(line, file=terminal, flush=True)
        except (OSError, ValueError):  # a closed or broken terminal must not fail the job
            pass


def warn(logger: logging.Logger, message: str) -> None:
    """One warning line: in the log (``logger``) and, as ``warning: <message>``, on the terminal."""
    logger.warning(message)
    to_terminal(f"warning: {message}")


def exit_on_user_error(func):
    """Decorator for entry points: a :class:`UserError` becomes one line on stderr (and on the terminal,
    where stderr goes to the rule's log) and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            to_terminal(f"error: {err}")
            raise SystemExit(1) from None

    return wrapper
