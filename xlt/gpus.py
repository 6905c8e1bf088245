"""One GPU per local job: a GPU job claims one device of a list and sees only that one (``CUDA_VISIBLE_DEVICES``).

Snakemake counts GPUs (``--resources gpu=N``: at most N jobs that declare ``gpu=1`` at once) but does not say
which device a job should use, so every local GPU job would land on device 0. Here each device is a slot: a lock
file per device (``<lock_dir>/gpu-<id>.lock``) held with ``flock`` for the job's lifetime. A job takes the first
free slot and sets ``CUDA_VISIBLE_DEVICES`` to that device before CUDA is initialised; the lock goes with the
process, however it ends (exit, exception, SIGKILL), so a killed job frees its device. With N equal to the
number of devices a free slot always exists; a job that finds none (another run holds them) waits for one.

The scripts of the GPU rules call :func:`pin_snakemake_job` right after :func:`xlt.runtime.start`; it pins a job
that declares ``gpu`` and a ``gpu_devices`` resource (profiles/workstation; docs/cluster.md), never a SLURM job
(SLURM sets ``CUDA_VISIBLE_DEVICES`` itself).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xlt.errors import UserError

_HELD: list = []  # open lock files of this process: closing them (process exit) frees the devices


def default_lock_dir() -> Path:
    """``$XLT_GPU_LOCK_DIR``, or a folder of this user in the machine's temporary directory (shared by every
    workflow run on the machine, so two runs do not pick the same device)."""
    given = os.environ.get("XLT_GPU_LOCK_DIR")
    return Path(given) if given else Path(tempfile.gettempdir()) / f"xlt-gpu-locks-{os.getuid()}"


def parse_devices(spec: str, environ=None) -> list[str]:
    """The device ids of a ``gpu_devices`` resource: ``"0,1,3"``, or ``"auto"``: the ``CUDA_VISIBLE_DEVICES`` the
    workflow was started with if set, else every GPU ``nvidia-smi`` lists (none without it)."""
    environ = os.environ if environ is None else environ
    spec = str(spec).strip()
    if spec == "auto":
        visible = environ.get("CUDA_VISIBLE_DEVICES")
        if visible is not None:
            return [d.strip() for d in visible.split(",") if d.strip() and d.strip() != "-1"]
        return _nvidia_smi_devices()
    devices = [d.strip() for d in spec.split(",") if d.strip()]
    if not devices or len(set(devices)) != len(devices):
        raise UserError(f"resources.gpu_devices: expected 'auto' or distinct device ids like '0,1', got {spec!r}")
    return devices


def _nvidia_smi_devices() -> list[str]:
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def try_claim(devices: list[str], lock_dir) -> str | None:
    """Claim the first free device of ``devices`` (its lock is held until this process ends); None if all are taken."""
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    for device in devices:
        handle = open(lock_dir / f"gpu-{device}.lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        _HELD.append(handle)
        return device
    return None


def claim_device(devices: list[str], lock_dir=None, *, wait_seconds: float = 3600.0, poll: float = 1.0,
                 log=None) -> str:
    """Claim a free device of ``devices``, waiting up to ``wait_seconds`` for one; returns its id."""
    if not devices:
        raise UserError("resources.gpu_devices: no GPU found (none listed, no CUDA_VISIBLE_DEVICES, no nvidia-smi)")
    lock_dir = default_lock_dir() if lock_dir is None else Path(lock_dir)
    deadline = time.monotonic() + wait_seconds
    warned = False
    while True:
        device = try_claim(devices, lock_dir)
        if device is not None:
            return device
        if time.monotonic() >= deadline:
            raise UserError(f"resources.gpu_devices: no free GPU among {','.join(devices)} after {wait_seconds:.0f} s "
                            f"(locks in {lock_dir}); run with --resources gpu={len(devices)} at most")
        if not warned and log is not None:
            log.info("every GPU of %s is taken (locks in %s); waiting for one", ",".join(devices), lock_dir)
            warned = True
        time.sleep(poll)


def pin_job_gpu(resources, environ=None, lock_dir=None, log=None) -> str | None:
    """For a local job that declares ``gpu`` ≥ 1 and a ``gpu_devices`` resource: claim one device and set
    ``CUDA_VISIBLE_DEVICES`` to it in ``environ``. Returns the device, or None when nothing was pinned (no GPU
    declared, no ``gpu_devices``, or a SLURM job, whose devices SLURM chose)."""
    environ = os.environ if environ is None else environ
    get = resources.get if hasattr(resources, "get") else (lambda key, default=None: getattr(resources, key, default))
    spec = get("gpu_devices", None)
    if not spec or int(get("gpu", 0) or 0) < 1 or "SLURM_JOB_ID" in environ:
        return None
    if int(get("gpu", 0)) > 1:
        raise UserError("resources.gpu: a pinned local job takes one GPU; a job that declares more is not supported")
    device = claim_device(parse_devices(spec, environ), lock_dir, log=log)
    environ["CUDA_VISIBLE_DEVICES"] = device
    return device


def pin_snakemake_job(snakemake) -> str | None:
    """:func:`pin_job_gpu` for a workflow job (its ``resources``), logged; before CUDA starts, so that the job
    sees only its device."""
    resources = getattr(snakemake, "resources", None)
    if resources is None:
        return None
    log = logging.getLogger("xlt.gpus")
    torch = sys.modules.get("torch")
    started = torch is not None and torch.cuda.is_initialized()
    device = pin_job_gpu(resources, log=log)
    if device is not None:
        log.info("GPU job on device %s (CUDA_VISIBLE_DEVICES=%s)", device, device)
        if started:
            log.warning("CUDA was initialised before the device was chosen; this job may not be on device %s", device)
    return device
