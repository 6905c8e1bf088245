"""An encoder from the HF hub or a local model folder (see :mod:`xlt.models.providers`)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Iterable


from xlt.errors import UserError
from xlt.io import atomic_path
from xlt.models.files import reading_model
from xlt.models.providers.common import _check_model_folder, _save_mlm, cut_layers, quiet_transformers, slice_vocabulary, trim_tokenizer

log = logging.getLogger(__name__)


def snapshot_model(name: str, revision: str | None, out_dir) -> Path:
    """Download HF model ``name`` at ``revision`` (branch, tag or commit; None = main) into ``out_dir``.

    Only the files transformers needs are fetched (configs, tokenizer files, safetensors weights; the
    PyTorch ``.bin`` weights only when the repository has no safetensors). The folder appears atomically.
    Any failure (unknown name, no network, hub error) becomes a one-line :class:`UserError`.
    """
    from huggingface_hub import snapshot_download

    if not isinstance(name, str) or not name.strip():
        raise UserError(f"model.name: expected a HuggingFace model id such as 'bert-base-multilingual-cased', "
                        f"got {name!r}")
    wanted = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken"]
    try:
        with atomic_path(out_dir) as tmp:
            snapshot_download(repo_id=name, revision=revision, local_dir=tmp, allow_patterns=wanted)
            if not any(tmp.glob("*.safetensors")):
                snapshot_download(repo_id=name, revision=revision, local_dir=tmp, allow_patterns=["*.bin"])
            shutil.rmtree(tmp / ".cache", ignore_errors=True)
            _check_model_folder(tmp, f"model.name={name!r}")
    except UserError:
        raise
    except Exception as err:  # the hub raises many types (HTTP, validation, offline); all mean the same here
        first = (str(err).strip().splitlines() or [""])[0][:200]
        raise UserError(
            f"model.name={name!r} (revision {revision or 'main'}): cannot download it from the HuggingFace hub "
            f"({type(err).__name__}: {first}); check the id and the network, or use model.source: local"
        ) from None
    return Path(out_dir)


def copy_local_model(src, out_dir, *, layers: int | None = None, trim_texts: Iterable[str] | None = None,
                     seed: int = 0) -> dict:
    """Copy the masked-LM ``src`` folder to ``out_dir``, optionally cut to ``layers`` and vocabulary-trimmed.

    A folder without an MLM head (a plain encoder) gets a freshly initialised one (seeded).
    """
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    quiet_transformers()
    src = Path(src)
    if not src.is_dir():
        raise UserError(f"model.name: local model folder {src} does not exist")
    _check_model_folder(src, "model.name")
    with reading_model(src):
        tokenizer = AutoTokenizer.from_pretrained(src)
        torch.manual_seed(seed)
        model, loading = AutoModelForMaskedLM.from_pretrained(src, output_loading_info=True)
    head_missing = any(k.startswith(("cls.", "lm_head.")) for k in loading.get("missing_keys", []))
    if layers is not None:
        cut_layers(model, layers)
    if trim_texts is not None:
        tokenizer, keep = trim_tokenizer(tokenizer, trim_texts)
        model = slice_vocabulary(model, keep, tokenizer)
    return _save_mlm(model, tokenizer, out_dir, source=str(src), mlm_head="fresh" if head_missing else "pretrained")
