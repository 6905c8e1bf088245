"""The end-of-run summary of failed jobs: each with the one line that says why (see ``onerror:`` in
rules/common.smk and docs/failures.md).

Snakemake's own report of a failed job points at the job's log; the reason is inside it. A workflow script
that stops on bad input writes ``error: <file:line or key>: <what is expected>`` there (and on the terminal
when the job runs locally); any other failure ends the log with a traceback whose last line names the
exception. This module reads Snakemake's run log, finds each failed job's log and picks that line.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ERROR_BLOCK = re.compile(r"^Error in rule (?P<rule>[\w.-]+):\s*$")
LOG_LINE = re.compile(r"^\s+log:\s*(?P<logs>.+?)(?:\s+\(check log file\(s\) for error details\))?\s*$")
EXCEPTION_LINE = re.compile(r"^(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt)\b.*")
MAX_WIDTH = 300


def failed_jobs(run_log: str) -> list[dict]:
    """``[{"rule", "logs": [path, ...]}]`` for every ``Error in rule`` block of a Snakemake run log, in order,
    each job once."""
    jobs: list[dict] = []
    current = None
    for line in run_log.splitlines():
        start = ERROR_BLOCK.match(line)
        if start:
            current = {"rule": start["rule"], "logs": []}
            jobs.append(current)
            continue
        if current is None:
            continue
        if line and not line[0].isspace():
            current = None
            continue
        found = LOG_LINE.match(line)
        if found:
            current["logs"] = [p.strip() for p in found["logs"].split(",") if p.strip()]
    unique, seen = [], set()
    for job in jobs:
        key = (job["rule"], tuple(job["logs"]))
        if key not in seen:
            seen.add(key)
            unique.append(job)
    return unique


def reason(job_log: str) -> str | None:
    """The line of a job's log that says why it failed: the last ``error: ...`` line, else the last line naming
    an exception, else the last non-empty line (None for an empty log)."""
    lines = [line.rstrip() for line in job_log.splitlines() if line.strip()]
    for pattern in (lambda s: s.startswith("error: "), lambda s: EXCEPTION_LINE.match(s.strip()) is not None):
        for line in reversed(lines):
            if pattern(line):
                return _short(line.strip())
    return _short(lines[-1].strip()) if lines else None


def _short(line: str) -> str:
    return line if len(line) <= MAX_WIDTH else line[: MAX_WIDTH - 3] + "..."


def summary(run_log_path, workdir=".") -> list[str]:
    """Lines for the terminal: a header and, per failed job, ``rule <name> (<log>): <reason>``."""
    try:
        text = Path(run_log_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    jobs = failed_jobs(text)
    if not jobs:
        return []
    out = [f"{len(jobs)} job(s) failed (each job's full log is named below; fix the cause and run the same "
           "command again: finished jobs are kept):"]
    for job in jobs:
        why = None
        for log in job["logs"]:
            try:
                why = reason((Path(workdir) / log).read_text(encoding="utf-8", errors="replace"))
            except OSError:
                why = f"(no log at {log})"
            if why:
                break
        where = ", ".join(job["logs"]) or "no log"
        out.append(f"  rule {job['rule']} ({where}): {why or 'the log is empty'}")
    return out


def print_summary(run_logs, workdir=".") -> None:
    """For ``onerror:``: print :func:`summary` of Snakemake's run log(s) to stderr."""
    for path in [run_logs] if isinstance(run_logs, (str, Path)) else list(run_logs or []):
        for line in summary(path, workdir):
            print(line, file=sys.stderr)
