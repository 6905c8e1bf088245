"""What every workflow script does first and last: logging into the rule's log, threads, offline hub,
seeds, and the provenance JSON written next to each model artifact."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from xlt.errors import UserError, to_terminal
from xlt.io import ARTIFACT_FILE, provenance, read_jsonl, write_json

TOKEN_CACHE = ".xlt-cache/tokenized"  # relative to the working directory of the workflow


def put_first_on_pythonpath(folder) -> None:
    """Put ``folder`` first on ``PYTHONPATH`` (once), for the processes this one starts: the Snakefile passes the
    checkout, so that jobs import its ``xlt`` in any environment (conda, a container) without installing it."""
    folder = str(folder)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if paths[:1] != [folder]:
        os.environ["PYTHONPATH"] = os.pathsep.join([folder, *paths])


class RuntimeSettings:
    """Settings that change how a job runs but not what it writes: inference batch size, checkpoint interval,
    progress interval, the Wikipedia API's contact and rate limits, cache folders.

    Rules pass them as one parameter of this type (``params.runtime``): Snakemake leaves a parameter that is
    not a plain value out of its ``params`` rerun trigger, so editing one of these settings re-runs nothing
    (``tests/test_workflow.py`` checks that on the workflow's own plan). Attribute and item access; the value
    is recorded in every artifact like the other parameters."""

    def __init__(self, **values):
        self.__dict__.update(values)

    def __getitem__(self, key):
        return self.__dict__[key]

    def __contains__(self, key) -> bool:
        return key in self.__dict__

    def get(self, key, default=None):
        return self.__dict__.get(key, default)

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def __eq__(self, other):
        return isinstance(other, RuntimeSettings) and other.__dict__ == self.__dict__

    def __repr__(self) -> str:
        return "RuntimeSettings(" + ", ".join(f"{k}={v!r}" for k, v in sorted(self.__dict__.items())) + ")"


def training_hp(params) -> dict:
    """A training rule's ``params.hp`` with the runtime settings the training loop takes (checkpoint interval)."""
    hp = dict(params.hp)
    runtime = params.get("runtime") or {}
    if "checkpoint_every" in runtime:
        hp["checkpoint_every"] = int(runtime["checkpoint_every"])
    return hp


def start(snakemake, name: str) -> logging.Logger:
    """Send stdout, stderr and logging to the rule's log; pin threads; keep training jobs off the network."""
    log_path = snakemake.log[0]
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    stream = open(log_path, "w", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        force=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("XLT_TOKEN_CACHE", str(Path(TOKEN_CACHE).resolve()))  # see xlt.train.token_cache
    exit_cleanly_on_sigterm()
    threads = max(1, int(getattr(snakemake, "threads", 1) or 1))
    if "torch" in sys.modules:  # only scripts that train or predict pay for importing torch
        sys.modules["torch"].set_num_threads(threads)
    log = logging.getLogger(name)
    log.info("rule %s, wildcards %s, threads %d", getattr(snakemake, "rule", name),
             dict(getattr(snakemake, "wildcards", None) or {}), threads)
    return log


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM (Snakemake cancelling a job, SLURM's scancel or time limit) into ``SystemExit`` so that
    ``finally`` blocks run: temporary output folders (:func:`xlt.io.atomic_path`) are removed, not left behind."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)

    with contextlib.suppress(ValueError):  # only the main thread may set handlers
        signal.signal(signal.SIGTERM, handler)


def code_version() -> str:
    """The git commit of the workflow (with '+dirty' when it has local changes), or 'unknown'."""
    root = Path(__file__).resolve().parents[1]
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def record_artifact(model_dir, snakemake, **fields) -> None:
    """Write ``xlt_artifact.json`` into a model folder: what produced it (rule, inputs, params, metrics)."""
    params = {k: v.as_dict() if isinstance(v, RuntimeSettings) else v for k, v in snakemake.params.items()}
    info = provenance(
        rule=getattr(snakemake, "rule", None),
        wildcards=dict(snakemake.wildcards),
        inputs={k: _as_list(v) for k, v in snakemake.input.items()},
        params=params,
        code=code_version(),
        **fields,
    )
    write_json(Path(model_dir) / ARTIFACT_FILE, json.loads(json.dumps(info, default=str)))


def _as_list(value):
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)


def read_records(path, need: str) -> list[dict]:
    """Read a prepared JSON-lines file and check that its records carry the field ``need``."""
    records = read_jsonl(path)
    if not records:
        raise UserError(f"{path}: no records; expected a non-empty JSON-lines file")
    for i, rec in enumerate(records, 1):
        if need not in rec:
            raise UserError(f"{path}:{i}: record has no {need!r} field")
    return records


def texts_of(records: list[dict]) -> list[str]:
    """Plain text of records ({"text"} or {"tokens"}), for MLM."""
    return [r["text"] if "text" in r else " ".join(r["tokens"]) for r in records]


def alert(line: str) -> None:
    """One line for the person running the workflow: into the job's log and onto the terminal.

    Snakemake shows a job's own stderr only in its log (see :func:`start`); the process' original stderr is the
    terminal of a local run (or the SLURM job log on a cluster)."""
    logging.getLogger("xlt").warning(line)
    to_terminal(line)


def raise_guards(fired: list[dict], mode: str, where: str) -> list[dict]:
    """Act on the guards a self-training step fired (``self_training.guards``).

    ``warn``: one line per guard on the terminal (``WARNING guard <check>: <where>: <message>``); ``stop``: the
    first such line becomes the job's error (:class:`UserError`); ``off``: nothing is said or recorded.
    Returns the guards to record (``[]`` when off)."""
    if mode == "off":
        return []
    for g in fired:
        line = f"guard {g['check']}: {where}: {g['message']}"
        if mode == "stop":
            raise UserError(line)
        alert(f"WARNING {line}")
    return list(fired)
