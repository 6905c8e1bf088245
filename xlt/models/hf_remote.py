"""The classifier as plain transformers code, for exported folders (``xlt export``): ``modeling_xlt.py``.

This file is copied verbatim into an exported model folder and referenced from its ``config.json``
(``auto_map``), so ``transformers`` loads the model with ``trust_remote_code=True`` without the ``xlt`` package.
It imports only ``torch`` and ``transformers``. Weights and config keys are those of
:class:`xlt.models.classifier.XLTClassifier`; the heads are the same modules (``xlt.models.heads``):

* plain head: dropout → Linear(hidden, C);
* Voters Module: M voters, each dropout → Linear(hidden, d_i) → GELU → dropout → Linear(d_i, C).

Features: the first token's final hidden state (``pooling = "cls"``) or the attention-masked mean of all tokens
(``"mean"``) for a sequence; every token's final hidden state for token classification (read the first
sub-token of each word, e.g. ``aggregation_strategy="first"``).

Voters are combined as the workflow's evaluation combines them: the mean of the voters' soft-max
probabilities. The returned ``logits`` are the logarithm of that mean, so that a soft-max over them (what the
pipelines apply) gives the mean back and its argmax is the evaluation's label. With one plain head the logits
are the head's own.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput, TokenClassifierOutput


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
        if self.labels and "id2label" not in kwargs:
            kwargs["id2label"] = dict(enumerate(self.labels))
        super().__init__(**kwargs)


class PlainHead(nn.Module):
    def __init__(self, hidden: int, n_labels: int, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, n_labels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(features)).unsqueeze(0)


class Voter(nn.Module):
    def __init__(self, hidden: int, intermediate: int, n_labels: int, dropout: float = 0.1):
        super().__init__()
        self.net = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, intermediate), nn.GELU(),
                                 nn.Dropout(dropout), nn.Linear(intermediate, n_labels))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class VotersModule(nn.Module):
    def __init__(self, hidden: int, n_labels: int, sizes: list[int], dropout: float = 0.1):
        super().__init__()
        self.voters = nn.ModuleList(Voter(hidden, d, n_labels, dropout) for d in sizes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.stack([voter(features) for voter in self.voters])


def _voter_sizes(n_voters: int, sizes) -> list[int]:
    """The voters' intermediate widths as the model was trained with them (``voter_sizes`` of its config)."""
    if not sizes or len(sizes) != n_voters:
        raise ValueError(f"config.voter_sizes: expected the {n_voters} voters' widths, got {sizes!r}")
    return [int(d) for d in sizes]


class XLTPreTrainedModel(PreTrainedModel):
    config_class = XLTClassifierConfig
    base_model_prefix = "xlt"
    supports_gradient_checkpointing = False

    def __init__(self, config: XLTClassifierConfig):
        super().__init__(config)
        spec = dict(config.encoder)
        encoder = AutoModel.from_config(AutoConfig.for_model(spec.pop("model_type"), **spec))
        if getattr(encoder, "pooler", None) is not None:
            encoder.pooler = None  # unused: features come from the last hidden states
        self.encoder = encoder
        hidden, n_labels = encoder.config.hidden_size, len(config.labels)
        if config.n_voters == 1:
            self.head = PlainHead(hidden, n_labels, config.head_dropout)
        else:
            sizes = _voter_sizes(config.n_voters, config.voter_sizes)
            self.head = VotersModule(hidden, n_labels, sizes, config.head_dropout)
        self.post_init()

    def _combine(self, logits: torch.Tensor) -> torch.Tensor:
        """Heads' logits ``[M, ..., C]`` -> one score per class whose soft-max is the mean of the heads'."""
        if logits.shape[0] == 1:
            return logits[0]
        return logits.float().softmax(dim=-1).mean(dim=0).log()

    @staticmethod
    def _loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of every head, averaged over heads (labels ``-100`` are ignored)."""
        m, c = logits.shape[0], logits.shape[-1]
        flat = logits.float().reshape(m, -1, c)
        return F.cross_entropy(flat.reshape(-1, c), labels.reshape(-1).repeat(m), ignore_index=-100)

    def _hidden(self, input_ids, attention_mask, inputs_embeds=None):
        if attention_mask is None:
            shape = input_ids.shape if input_ids is not None else inputs_embeds.shape[:2]
            device = input_ids.device if input_ids is not None else inputs_embeds.device
            attention_mask = torch.ones(shape, dtype=torch.long, device=device)
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds)
        return out.last_hidden_state, attention_mask


class XLTForSequenceClassification(XLTPreTrainedModel):
    """Sequence classification with the workflow's head (plain or Voters Module)."""

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, inputs_embeds=None, labels=None,
                **kwargs):
        # token_type_ids: the workflow trains on single texts (all segment 0), as the encoder's default
        hidden, attention_mask = self._hidden(input_ids, attention_mask, inputs_embeds)
        if self.config.pooling == "mean":
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            features = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        else:
            features = hidden[:, 0]
        heads = self.head(features)
        loss = self._loss(heads, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=self._combine(heads))


class XLTForTokenClassification(XLTPreTrainedModel):
    """Token classification with the workflow's head; the workflow reads each word's first sub-token."""

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, inputs_embeds=None, labels=None,
                **kwargs):
        hidden, _ = self._hidden(input_ids, attention_mask, inputs_embeds)
        b, t, h = hidden.shape
        heads = self.head(hidden.reshape(b * t, h))
        heads = heads.reshape(heads.shape[0], b, t, heads.shape[-1])
        loss = self._loss(heads, labels) if labels is not None else None
        return TokenClassifierOutput(loss=loss, logits=self._combine(heads))
