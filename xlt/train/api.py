"""The training stages the workflow calls: BTF (MLM), fine-tuning, prediction, soft- and hard-label training.

Paper mapping (Sections 3.1, 3.2, 4.2):

* :func:`continue_mlm` — Bilingual Task Fitting, step 1: continue masked-LM pre-training on the mixed
  source/target task corpus (15 % masking) with the embeddings and the bottom 3 layers frozen; AdamW, linear
  warm-up ratio 0.1, peak rate 2e-5, batch 32. Output: the "Base Model" (an MLM folder).
* :func:`finetune` — BTF step 2: fine-tune on the labelled source-language data (plain head).
* :func:`predict_probs` — the teacher's probabilities on unlabelled target data (soft labels, Eq. 1) and the
  probabilities Eq. 4 and the threshold selection work on.
* :func:`train_soft` — the student restored from the Base Model with a NEW head (Voters Module or plain),
  trained with MSE against the teacher's probabilities (Eq. 1).
* :func:`train_hard` — the soft student trained further with cross-entropy on hard labels (Eq. 2).

The stages live in :mod:`xlt.train.mlm` (continued MLM, the head warm-up), :mod:`xlt.train.inference`
(probabilities) and here (fine-tuning, soft and hard steps); :mod:`xlt.train.stage` holds what they share and
:mod:`xlt.train.batches` what they train on. This module exports them all.

Every function takes ``hp`` (a dict of training settings, checked here; unknown keys are an error), a seed
(same seed → same weights and predictions), a ``checkpoint_dir`` to resume from after a crash and, optionally,
a :class:`xlt.train.loop.Runtime` (gradient accumulation, TensorBoard folder: how to run, not what to compute).
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import torch

from xlt.errors import UserError
from xlt.models.classifier import KINDS, load_classifier, new_classifier, save_classifier
from xlt.models.files import reading_model
from xlt.models.heads import voter_widths
from xlt.train import loop
from xlt.train.checkpoint import fingerprint
from xlt.train.batches import _hard_task, _sequence_task, _token_task
from xlt.train.inference import _dev_evaluator, inference_device, predict_probs
from xlt.train.mlm import continue_mlm, mlm_loss, mlm_task, warm_up_mlm_head
from xlt.train.stage import (_check_folder, _check_hp, DEFAULTS, _digest_data, _finish, _folder_signature, freeze_bottom, _runtime, _sentences, _settings, _texts)

log = logging.getLogger(__name__)

log = logging.getLogger(__name__)

__all__ = ["continue_mlm", "warm_up_mlm_head", "mlm_loss", "finetune", "predict_probs", "inference_device", "train_soft",
           "train_hard", "load_classifier", "freeze_bottom", "mlm_task", "DEFAULTS"]


def finetune(base_dir, examples: Sequence[dict], *, kind: str, labels: list[str], out_dir, hp: dict, seed: int,
             checkpoint_dir, dev_examples: Sequence[dict] | None = None, runtime: loop.Runtime | None = None) -> dict:
    """BTF step 2: fine-tune ``base_dir`` (MLM or encoder folder) with a plain head on labelled examples.

    Sequence examples ``{"text", "label": int}``; token examples ``{"tokens", "tags": [str]}``. Model
    selection ``hp["selection"]``: ``"last"`` keeps the last step, ``"dev"`` the epoch with the best dev
    accuracy (sequence) or seqeval entity F1 (token) on ``dev_examples``.
    """
    hp = _check_hp(hp, "finetune")
    if kind not in KINDS:
        raise UserError(f"kind: expected one of {KINDS}, got {kind!r}")
    if hp["selection"] == "dev" and not dev_examples:
        raise UserError("hp.selection: 'dev' needs dev_examples (none were given)")
    device = loop.configure_torch()
    base_dir = _check_folder(base_dir, "base_dir")
    model, tokenizer = new_classifier(base_dir, kind=kind, labels=list(labels), n_voters=1,
                                      head_dropout=hp["head_dropout"], pooling=hp["pooling"], seed=seed)
    freeze_bottom(model.encoder, hp["frozen_layers"], hp["freeze_embeddings"])
    task = _hard_task(tokenizer, examples, kind, list(labels), hp["max_length"], device)
    evaluate = None
    if hp["selection"] == "dev":
        evaluate = _dev_evaluator(tokenizer, list(dev_examples), kind, list(labels), max(hp["batch_size"], 32),
                                  hp["max_length"], device)
    digest = fingerprint(stage="finetune", hp=hp, seed=seed, kind=kind, labels=list(labels),
                              init=_folder_signature(base_dir), data=_digest_data(list(examples)),
                              dev=_digest_data(list(dev_examples or [])))
    metrics = loop.train(model, task, _settings(hp, seed), device=device, checkpoint_dir=checkpoint_dir,
                         digest=digest, evaluate=evaluate, name="finetune", runtime=_runtime(runtime))
    return _finish(model.to("cpu"), tokenizer, out_dir, checkpoint_dir, metrics, save_classifier)


def train_soft(init_dir, examples: Sequence[dict], teacher_probs, *, kind: str, labels: list[str], n_voters: int,
               voter_offsets: Sequence[int] | None, out_dir, hp: dict, seed: int, checkpoint_dir,
               runtime: loop.Runtime | None = None) -> dict:
    """Eq. 1: a student restored from the Base Model ``init_dir`` with a new head (``n_voters`` voters, or the
    plain head when 1) learns the teacher's probabilities by MSE (``hp["loss"]``: ``mse``; ``kl`` for the KL
    divergence, :data:`xlt.models.heads.SOFT_LOSSES`). Voter i is the encoder's hidden size plus
    ``voter_offsets[i]`` wide (:func:`xlt.models.heads.voter_widths`; ``self_training.voters.size_offsets``).

    ``teacher_probs``: ``[N, C]`` (sequence) or a list of ``[n_words, C]`` (token) — for a teacher with
    voters, the mean of its voters (:func:`xlt.selftrain.voters.soft_labels`).
    """
    hp = _check_hp(hp, "train_soft")
    if kind not in KINDS:
        raise UserError(f"kind: expected one of {KINDS}, got {kind!r}")
    if not isinstance(n_voters, int) or n_voters < 1:
        raise UserError(f"n_voters: expected a positive integer, got {n_voters!r}")
    if not examples:
        raise UserError("examples: no training examples")
    device = loop.configure_torch()
    init_dir = _check_folder(init_dir, "init_dir")
    n_labels = len(labels)
    if kind == "sequence":
        texts = _texts(examples, "examples")
        targets = np.asarray(teacher_probs, dtype=np.float32)
        if targets.shape != (len(texts), n_labels):
            raise UserError(f"teacher_probs: expected shape [{len(texts)}, {n_labels}], got {list(targets.shape)} "
                            "(average a teacher's voters with xlt.selftrain.voters.soft_labels)")
    else:
        texts = _sentences(examples, "examples")
        if len(teacher_probs) != len(texts):
            raise UserError(f"teacher_probs: expected one array per sentence ({len(texts)}), got {len(teacher_probs)}")
        targets = [np.asarray(t, dtype=np.float32) for t in teacher_probs]
        for i, (t, s) in enumerate(zip(targets, texts)):
            if t.shape != (len(s), n_labels):
                raise UserError(f"teacher_probs[{i}]: expected shape [{len(s)}, {n_labels}], got {list(t.shape)}")
    voter_sizes = None
    if n_voters > 1:
        from transformers import AutoConfig

        with reading_model(init_dir):
            hidden = AutoConfig.from_pretrained(init_dir).hidden_size
        try:
            voter_sizes = voter_widths(hidden, voter_offsets or [], n_voters)
        except ValueError as err:
            raise UserError(f"self_training.voters.size_offsets: {err}") from None
    model, tokenizer = new_classifier(init_dir, kind=kind, labels=list(labels), n_voters=n_voters,
                                      voter_sizes=voter_sizes, head_dropout=hp["head_dropout"],
                                      pooling=hp["pooling"], seed=seed)
    freeze_bottom(model.encoder, hp["frozen_layers"], hp["freeze_embeddings"])
    if kind == "sequence":
        task = _sequence_task(tokenizer, texts, targets, hp["max_length"], hp["loss"], device)
    else:
        task = _token_task(tokenizer, texts, targets, hp["max_length"], hp["loss"], device)
    digest = fingerprint(stage="train_soft", hp=hp, seed=seed, kind=kind, labels=list(labels),
                              n_voters=n_voters, voter_sizes=voter_sizes, init=_folder_signature(init_dir),
                              data=_digest_data(list(examples), targets))
    metrics = loop.train(model, task, _settings(hp, seed), device=device, checkpoint_dir=checkpoint_dir,
                         digest=digest, name="train_soft", runtime=_runtime(runtime))
    return _finish(model.to("cpu"), tokenizer, out_dir, checkpoint_dir, metrics, save_classifier)


def train_hard(init_dir, examples: Sequence[dict], *, kind: str, out_dir, hp: dict, seed: int,
               checkpoint_dir, runtime: loop.Runtime | None = None) -> dict:
    """Eq. 2: continue training the classifier in ``init_dir`` (its heads and labels) with cross-entropy.

    Sequence examples ``{"text", "label": int}``; token examples ``{"tokens", "tags"}`` where a tag may be
    None (that word is ignored). Every voter is trained on the labels; the losses are averaged.
    """
    hp = _check_hp(hp, "train_hard")
    device = loop.configure_torch()
    init_dir = _check_folder(init_dir, "init_dir")
    torch.manual_seed(seed)
    model, tokenizer, meta = load_classifier(init_dir)
    if meta["kind"] != kind:
        raise UserError(f"kind: {init_dir} is a {meta['kind']} classifier, not {kind}")
    freeze_bottom(model.encoder, hp["frozen_layers"], hp["freeze_embeddings"])
    task = _hard_task(tokenizer, examples, kind, meta["labels"], hp["max_length"], device)
    digest = fingerprint(stage="train_hard", hp=hp, seed=seed, kind=kind, init=_folder_signature(init_dir),
                              data=_digest_data(list(examples)))
    metrics = loop.train(model, task, _settings(hp, seed), device=device, checkpoint_dir=checkpoint_dir,
                         digest=digest, name="train_hard", runtime=_runtime(runtime))
    return _finish(model.to("cpu"), tokenizer, out_dir, checkpoint_dir, metrics, save_classifier)
