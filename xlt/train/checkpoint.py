"""Resumable training state: the fingerprint of a stage's inputs, its checkpoints (trainable weights, optimizer,
schedule, RNG and loss-scaler state, written atomically) and its TensorBoard curves (see :mod:`xlt.train.loop`)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from pathlib import Path

import torch

from xlt.errors import UserError
from xlt.io import atomic_path

log = logging.getLogger(__name__)

STATE_FILE = "state.pt"

# ---------------------------------------------------------------------------------------- checkpoints


def fingerprint(**parts) -> str:
    """A digest of everything that determines a run (settings, seed, data digests, initial model)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def trainable_state(model: torch.nn.Module) -> dict:
    return {n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters() if p.requires_grad}


def load_trainable_state(model: torch.nn.Module, state: dict) -> None:
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in state.items():
            params[name].copy_(value)


def save_checkpoint(path: Path, payload: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(checkpoint_dir: Path | None, digest: str) -> dict | None:
    if checkpoint_dir is None:
        return None
    path = Path(checkpoint_dir) / STATE_FILE
    if not path.is_file():
        return None
    try:
        # weights_only: a checkpoint holds tensors, numbers, strings and lists/dicts of them; unpickling
        # anything else (code) is refused, so a planted checkpoint cannot run code
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a checkpoint that cannot be read is as good as none
        log.warning("ignoring unreadable checkpoint %s (%s)", path, err)
        return None
    if payload.get("fingerprint") != digest:
        log.warning("ignoring checkpoint %s: it belongs to another run (settings, data or model changed)", path)
        return None
    return payload


def clear_checkpoints(checkpoint_dir: Path | None) -> None:
    """Remove the files this loop wrote (and the folder if that leaves it empty)."""
    if checkpoint_dir is None:
        return
    folder = Path(checkpoint_dir)
    for f in [folder / STATE_FILE, *folder.glob("best-*.pt")]:
        f.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()


# --------------------------------------------------------------------------------------------- curves


def tensorboard_writer(log_dir, start_step: int):
    """A TensorBoard ``SummaryWriter`` for ``log_dir`` (None: no writer). Events an earlier, interrupted run wrote
    from ``start_step`` on are purged, so a resumed or restarted run draws one curve."""
    if log_dir is None:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise UserError("training.log_to: tensorboard needs the tensorboard package (pinned in requirements.txt); "
                        "install it or set log_to: none") from None
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    return SummaryWriter(log_dir=str(log_dir), purge_step=start_step)
