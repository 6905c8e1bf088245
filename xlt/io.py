"""Small file helpers shared by every stage: atomic writes, JSON lines, hashes, provenance."""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from xlt.errors import UserError

ARTIFACT_FILE = "xlt_artifact.json"  # what produced a model folder (written by xlt.runtime.record_artifact)


@contextlib.contextmanager
def atomic_path(path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    Works for files and for folders (the block creates whatever it wants at the temporary path).
    Nothing half-written is ever left at ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    target = tmp / (path.name + suffix)
    try:
        yield target
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        os.replace(target, path)
    except (OSError, RuntimeError) as err:
        if not is_disk_full(err):
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # frees what was written before the report measures free space
        raise UserError(f"{path}: no space left on the device while writing it ({free_space(path.parent)} free "
                        f"in {path.parent}); free some space and re-run") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def is_disk_full(err: BaseException) -> bool:
    """An exception that means the file system is full: ``ENOSPC``/``EDQUOT``, or torch's zip writer failing
    (``[enforce fail at inline_container.cc] ... file write failed`` / ``unexpected pos``)."""
    if isinstance(err, OSError):
        return err.errno in DISK_FULL_ERRNOS
    text = str(err)
    return isinstance(err, RuntimeError) and "inline_container" in text and (
        "file write failed" in text or "unexpected pos" in text)


def free_space(folder) -> str:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return "unknown space"
    return f"{free / 2**20:.0f} MiB"


def write_text(path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def read_json(path):
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except json.JSONDecodeError as err:
        raise UserError(f"{path}:{err.lineno}: invalid JSON ({err.msg})") from None


def write_jsonl(path, records: Iterable[dict]) -> int:
    """Write one JSON object per line, atomically; return the number of records."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_jsonl(path) -> list[dict]:
    path = Path(path)
    out = []
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise UserError(f"{path}:{lineno}: invalid JSON line ({err.msg})") from None
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 ({err.reason} at byte {err.start})") from None
    return out


def sha256_file(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo``; elsewhere :func:`platform.processor`)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def provenance(**fields) -> dict:
    """What produced an artifact: the caller's fields plus code version, Python and library versions, and the
    machine. Same seed, same CPU kernels, same predictions: PyTorch picks its CPU kernels by instruction set
    (``cpu_capability``) and splits reductions by thread count, so both are recorded beside the CPU model (and
    the GPU, for a job that used one); results from another kind of CPU may differ in the last bits."""
    import xlt

    info = {"xlt_version": xlt.__version__, "python": sys.version.split()[0], "platform": platform.platform(),
            "cpu": cpu_model()}
    for mod in ("torch", "transformers"):
        m = sys.modules.get(mod)
        if m is not None:
            info[mod] = getattr(m, "__version__", "?")
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        info["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        if torch.cuda.is_initialized():  # the job ran on a GPU (asking otherwise would start CUDA)
            info["gpu"] = torch.cuda.get_device_name(torch.cuda.current_device())
    info.update(fields)
    return info
