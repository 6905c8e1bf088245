"""``xlt export``: a model folder of the workflow as a folder ``transformers`` loads, with a model card.

Which architecture (checked on the weights, see :func:`export_model`):

* token classification with the plain head (``n_voters = 1``): the head is dropout → Linear on each word's
  first sub-token, exactly ``<Encoder>ForTokenClassification`` (e.g. ``BertForTokenClassification``) read with
  ``aggregation_strategy="first"``. A standard folder, no custom code.
* everything else: sequence classification reads the first token's hidden state directly (or the masked mean),
  while ``BertForSequenceClassification`` puts a tanh pooler (and XLM-R a dense + tanh layer) in between; the
  Voters Module (M voters with different intermediate widths, probabilities averaged) has no standard
  counterpart either. These folders carry ``modeling_xlt.py`` (:mod:`xlt.models.hf_remote`) and an ``auto_map``
  in ``config.json``, loaded with ``trust_remote_code=True``.

Either way ``config.json`` has ``id2label``/``label2id``, the tokenizer's ``model_max_length`` is the
``max_length`` the model was trained and evaluated with, and the exported model is compared with the original
on probe inputs before the folder is written: the same probabilities (to 1e-4) and the same labels.

The model card (``README.md``) is generated from ``xlt_artifact.json`` and the artifacts of the models it was
trained from: base encoder, data, hyper-parameters, self-training chain, seed, code version and the test
scores the workflow recorded for this model (``results/<task>/<target>/seed<k>/variants/*.json``).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from xlt.errors import UserError
from xlt.io import ARTIFACT_FILE, atomic_path
from xlt.model_card import find_scores, lineage, model_card, scores_for

log = logging.getLogger(__name__)

REMOTE_FILE = "modeling_xlt.py"
TOLERANCE = 1e-4


# ------------------------------------------------------------------------------------- the architectures


def _standard_token_model(model):
    """``<Encoder>ForTokenClassification`` with the classifier's weights, or None where the head does not map."""
    import torch.nn as nn
    from transformers import AutoConfig, AutoModelForTokenClassification

    c = model.config
    if c.kind != "token" or c.n_voters != 1:
        return None
    spec = dict(c.encoder)
    model_type = spec.pop("model_type")
    for key in ("architectures", "id2label", "label2id", "num_labels", "_name_or_path", "transformers_version"):
        spec.pop(key, None)
    config = AutoConfig.for_model(model_type, **spec)
    config.id2label = dict(enumerate(c.labels))
    config.label2id = {name: i for i, name in enumerate(c.labels)}
    config.classifier_dropout = c.head_dropout
    try:
        hf = AutoModelForTokenClassification.from_config(config)
    except ValueError:
        return None  # no token-classification class for this encoder type
    base = getattr(hf, hf.base_model_prefix, None)
    classifier = getattr(hf, "classifier", None)
    if base is None or not isinstance(classifier, nn.Linear) or getattr(base, "pooler", None) is not None:
        return None
    if set(dict(hf.named_children())) - {hf.base_model_prefix, "dropout", "classifier"}:
        return None  # an extra layer (e.g. a CRF) between encoder and classifier
    missing, unexpected = base.load_state_dict(model.encoder.state_dict(), strict=False)
    if missing or unexpected or tuple(classifier.weight.shape) != tuple(model.head.out.weight.shape):
        return None
    classifier.load_state_dict(model.head.out.state_dict())
    hf.config.architectures = [type(hf).__name__]
    return hf


def _remote_model(model):
    """The classifier as :mod:`xlt.models.hf_remote` code (same weights), and its ``auto_map``."""
    from xlt.models import hf_remote

    cls = hf_remote.XLTForSequenceClassification if model.config.kind == "sequence" else \
        hf_remote.XLTForTokenClassification
    c = model.config
    encoder = {k: v for k, v in c.encoder.items() if k != "_name_or_path"}  # a local path, meaningless elsewhere
    config = hf_remote.XLTClassifierConfig(encoder=encoder, kind=c.kind, labels=c.labels, n_voters=c.n_voters,
                                           voter_sizes=c.voter_sizes, head_dropout=c.head_dropout, pooling=c.pooling)
    config.label2id = {name: i for i, name in enumerate(c.labels)}
    auto = "AutoModelForSequenceClassification" if c.kind == "sequence" else "AutoModelForTokenClassification"
    config.auto_map = {"AutoConfig": f"{REMOTE_FILE[:-3]}.XLTClassifierConfig", auto: f"{REMOTE_FILE[:-3]}.{cls.__name__}"}
    config.architectures = [cls.__name__]
    hf = cls(config)
    hf.load_state_dict(model.state_dict(), strict=True)
    return hf


def _probe_batch(tokenizer, seed: int = 0, n: int = 6, max_length: int = 32):
    """Random token ids (seeded) in padded sequences of different lengths, ``[CLS] … [SEP]``."""
    import torch

    from xlt.train.data import pad_ids, special_ids

    cls_id, sep_id = special_ids(tokenizer)
    specials = set(tokenizer.all_special_ids)
    vocab = [i for i in range(len(tokenizer)) if i not in specials]
    g = torch.Generator().manual_seed(seed)
    seqs = []
    for i in range(n):
        length = max(1, (max_length - 2) * (i + 1) // n)
        ids = [vocab[j] for j in torch.randint(len(vocab), (length,), generator=g).tolist()]
        seqs.append([cls_id, *ids, sep_id])
    return pad_ids(seqs, tokenizer.pad_token_id)


def check_export(model, exported, tokenizer, tolerance: float = TOLERANCE) -> float:
    """Largest difference of class probabilities between the workflow's classifier and the exported model on
    probe inputs; raises if it exceeds ``tolerance`` or a label differs."""
    import numpy as np
    import torch

    model.eval()
    exported.eval()
    input_ids, mask = _probe_batch(tokenizer)
    with torch.inference_mode():
        if model.config.kind == "sequence":
            ref = model(input_ids, mask).float().softmax(-1).mean(0)
            got = exported(input_ids=input_ids, attention_mask=mask).logits.float().softmax(-1)
        else:
            keep = mask.clone()
            keep[:, 0] = 0  # [CLS]
            keep[torch.arange(len(mask)), mask.sum(1) - 1] = 0  # [SEP]
            flat = keep.reshape(-1).nonzero().squeeze(1)
            ref = model(input_ids, mask, flat).float().softmax(-1).mean(0)
            logits = exported(input_ids=input_ids, attention_mask=mask).logits.float()
            got = logits.reshape(-1, logits.shape[-1]).index_select(0, flat).softmax(-1)
    ref, got = ref.numpy(), got.numpy()
    diff = float(np.abs(ref - got).max())
    top2 = np.sort(ref, axis=-1)[:, -2:]
    decided = (top2[:, 1] - top2[:, 0]) > 2 * tolerance  # labels of near-ties may differ in the last bits
    if diff > tolerance or (ref.argmax(-1) != got.argmax(-1))[decided].any():
        raise RuntimeError(f"the exported model differs from the original on probe inputs (max probability "
                           f"difference {diff:.2e}); nothing was written")
    return diff


# ---------------------------------------------------------------------------------------------- export


def export_model(model_dir, out_dir, *, scores=None, force: bool = False) -> dict:
    """Write ``out_dir`` (see the module doc); returns ``{"architecture", "style", "max_difference", ...}``."""
    from xlt.models.classifier import load_classifier
    from xlt.predict import DEFAULT_MAX_LENGTH, model_info

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    info = model_info(model_dir)
    if out_dir.exists() and not force:
        raise UserError(f"{out_dir}: already exists (choose another --out, or --force to replace it)")
    if out_dir.resolve() == model_dir.resolve():
        raise UserError(f"{out_dir}: is the model folder itself; choose another --out")
    chain = lineage(model_dir)
    if not chain:
        log.warning("%s: no %s; the model card will say little about how the model was trained", model_dir, ARTIFACT_FILE)
    score_records = scores_for(model_dir, [Path(s) for s in scores]) if scores is not None else find_scores(model_dir)
    max_length = info["max_length"] or DEFAULT_MAX_LENGTH

    model, tokenizer, meta = load_classifier(model_dir)
    model.eval()
    hf = _standard_token_model(model)
    style = "standard" if hf is not None else "remote code"
    with atomic_path(out_dir) as tmp:
        if hf is None:
            hf = _remote_model(model)
        hf.save_pretrained(tmp)
        tokenizer.model_max_length = max_length
        tokenizer.save_pretrained(tmp)
        if style == "remote code":
            from xlt.models import hf_remote

            shutil.copyfile(hf_remote.__file__, tmp / REMOTE_FILE)
            reloaded = type(hf).from_pretrained(tmp)
        else:
            from transformers import AutoModelForTokenClassification

            reloaded = AutoModelForTokenClassification.from_pretrained(tmp)
        diff = check_export(model, reloaded, tokenizer)
        if (model_dir / ARTIFACT_FILE).is_file():
            shutil.copyfile(model_dir / ARTIFACT_FILE, tmp / ARTIFACT_FILE)
        export = {"architecture": type(hf).__name__, "style": style, "max_difference": diff,
                  "max_length": max_length}
        (tmp / "README.md").write_text(model_card({**meta, **info}, chain, score_records, export), encoding="utf-8")
    return {**export, "scores": len(score_records)}
