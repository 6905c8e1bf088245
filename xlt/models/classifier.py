"""The classifier: a pre-trained encoder plus a plain head or the Voters Module, as a ``save_pretrained`` folder.

``XLTClassifier`` is a transformers ``PreTrainedModel`` with its own config (``model_type = xlt-classifier``):
``config.json`` holds the encoder's config, the task kind (``sequence`` or ``token``), the label names and the
head layout; ``model.safetensors`` all weights; the tokenizer files sit beside them. The caller adds
``xlt_artifact.json`` (what produced the folder).

Features fed to the head: for a sequence, the final hidden state of the first token (``[CLS]``/``<s>``), or
the attention-masked mean of all tokens (``pooling = "mean"``); for tokens, the final hidden state of every
word's first sub-token, gathered by flat indices computed on the host (no device synchronisation).
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoConfig, AutoModel, AutoTokenizer, PretrainedConfig, PreTrainedModel

from xlt.errors import UserError
from xlt.io import atomic_path, read_json
from xlt.models.files import reading_model
from xlt.models.heads import build_head
from xlt.models.providers import quiet_transformers
from xlt.tasks import KINDS


class XLTClassifierConfig(PretrainedConfig):
    model_type = "xlt-classifier"

    def __init__(self, encoder: dict | None = None, kind: str = "sequence", labels: list[str] | None = None,
                 n_voters: int = 1, voter_sizes: list[int] | None = None, head_dropout: float = 0.1,
                 pooling: str = "cls", **kwargs):
        self.encoder = dict(encoder or {})
        self.kind = kind
        self.labels = list(labels or [])
        self.n_voters = int(n_voters)
        self.voter_sizes = list(voter_sizes) if voter_sizes else None
        self.head_dropout = float(head_dropout)
        self.pooling = pooling
        super().__init__(**kwargs)


def _encoder_config(encoder: dict):
    spec = dict(encoder)
    model_type = spec.pop("model_type")
    return AutoConfig.for_model(model_type, **spec)


class XLTClassifier(PreTrainedModel):
    config_class = XLTClassifierConfig
    base_model_prefix = "xlt"
    supports_gradient_checkpointing = False

    def __init__(self, config: XLTClassifierConfig):
        super().__init__(config)
        encoder = AutoModel.from_config(_encoder_config(config.encoder))
        if getattr(encoder, "pooler", None) is not None:
            encoder.pooler = None  # unused: features come from the last hidden states
        self.encoder = encoder
        self.head = build_head(encoder.config.hidden_size, len(config.labels), config.n_voters,
                               config.voter_sizes, config.head_dropout)
        self.post_init()

    @property
    def n_heads(self) -> int:
        return self.config.n_voters

    def features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                 positions: torch.Tensor | None = None) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.config.kind == "token":
            if positions is None:
                raise ValueError("token classification needs the flat positions of first sub-tokens")
            return hidden.reshape(-1, hidden.shape[-1]).index_select(0, positions)
        if self.config.pooling == "mean":
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        return hidden[:, 0]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                positions: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``[M, N, C]``: N = batch size (sequence) or number of first sub-tokens (token)."""
        return self.head(self.features(input_ids, attention_mask, positions))


def new_classifier(base_dir, *, kind: str, labels: list[str], n_voters: int = 1,
                   voter_sizes: list[int] | None = None, head_dropout: float = 0.1, pooling: str = "cls",
                   seed: int = 0):
    """A classifier whose encoder is restored from ``base_dir`` (an MLM or encoder folder); fresh, seeded head."""
    quiet_transformers()
    if kind not in KINDS:
        raise UserError(f"kind: expected one of {KINDS}, got {kind!r}")
    if pooling not in ("cls", "mean"):
        raise UserError(f"hp.pooling: expected 'cls' or 'mean', got {pooling!r}")
    if len(labels) < 2:
        raise UserError(f"labels: expected at least two label names, got {labels!r}")
    base_dir = Path(base_dir)
    if not (base_dir / "config.json").is_file():
        raise UserError(f"{base_dir}: not a model folder (no config.json)")
    with reading_model(base_dir):
        tokenizer = AutoTokenizer.from_pretrained(base_dir)
        encoder = AutoModel.from_pretrained(base_dir)
    config = XLTClassifierConfig(encoder=encoder.config.to_dict(), kind=kind, labels=list(labels),
                                 n_voters=n_voters, voter_sizes=voter_sizes, head_dropout=head_dropout,
                                 pooling=pooling)
    torch.manual_seed(seed)
    model = XLTClassifier(config)
    state = {k: v for k, v in encoder.state_dict().items() if not k.startswith("pooler.")}
    missing, unexpected = model.encoder.load_state_dict(state, strict=False)
    if unexpected or missing:
        raise RuntimeError(f"encoder weights from {base_dir} do not fit: missing {missing}, unexpected {unexpected}")
    return model, tokenizer


def save_classifier(model: XLTClassifier, tokenizer, out_dir) -> None:
    """Write the classifier folder atomically (weights, config, tokenizer)."""
    with atomic_path(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)


def classifier_meta(model: XLTClassifier) -> dict:
    c = model.config
    return {"kind": c.kind, "labels": list(c.labels), "n_voters": c.n_voters,
            "voter_sizes": [v.net[1].out_features for v in model.head.voters] if c.n_voters > 1 else None,
            "pooling": c.pooling}


def load_classifier(model_dir):
    """``(model, tokenizer, meta)`` of a classifier folder; meta gives kind, labels, n_voters, voter_sizes."""
    quiet_transformers()
    model_dir = Path(model_dir)
    config_file = model_dir / "config.json"
    if not config_file.is_file():
        raise UserError(f"{model_dir}: not a classifier folder (no config.json)")
    model_type = read_json(config_file).get("model_type")
    if model_type != XLTClassifierConfig.model_type:
        raise UserError(f"{config_file}: not an xlt classifier (model_type {model_type!r}); "
                        "expected the output of finetune/train_soft/train_hard")
    with reading_model(model_dir):
        model = XLTClassifier.from_pretrained(model_dir)
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return model, tokenizer, classifier_meta(model)
