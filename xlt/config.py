"""Configuration: validation against the JSON schema, cross-key checks, and the experiment grid.

Every problem is reported as one line naming the key (``tasks.cls.btf.learning_rate``) and what is expected.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from xlt.data.unlabeled import corpus_spec
from xlt.errors import UserError
from xlt.selftrain.chains import variant_chain
from xlt.selftrain.schedule import parse_schedule
from xlt.tasks import TASKS

# Row labels of the paper's ablation tables.
PAPER_LABELS = {"full": "Ours", "no_at": "- AT", "no_vm": "- VM", "no_btf": "- BTF", "no_st": "- ST",
                "mbert": "MBERT", "mbert_wiki": "MBERT-wiki"}

# The paper's tables: which variants and stages each one reads (names refer to config.yaml: variants).
PAPER_TABLES = {
    "table3": {"kind": "wide", "task": "cls", "variants": ["mbert", "full"], "labels": PAPER_LABELS},
    "table4": {"kind": "wide", "task": "conll", "variants": ["mbert", "full"], "labels": PAPER_LABELS},
    "table5": {"kind": "wide", "task": "cls",
               "variants": ["full", "no_at", "no_vm", "no_btf", "no_st", "mbert", "mbert_wiki"], "labels": PAPER_LABELS},
    "table6": {"kind": "wide", "task": "conll",
               "variants": ["full", "no_at", "no_vm", "no_btf", "no_st", "mbert", "mbert_wiki"], "labels": PAPER_LABELS},
    "table7": {"kind": "rounds", "task": "conll", "baseline": "no_st", "variant": "soft_rounds"},
    "table8": {"kind": "thresholds", "task": "conll", "ours": "auto_one_round",
               "fixed": ["fixed_0.0", "fixed_0.9", "fixed_0.99", "fixed_0.999"]},
    "table9": {"kind": "rounds", "task": "conll", "baseline": "no_st", "variant": "shshs"},
}


def load_schema() -> dict:
    text = resources.files("xlt").joinpath("schemas/config.schema.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _resolve(schema: dict, node: dict) -> dict:
    """A schema node with its ``$ref`` (local ``#/$defs/...`` only) merged under its own keys."""
    ref = node.get("$ref")
    if ref is None:
        return node
    target = schema
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return {**_resolve(schema, target), **{k: v for k, v in node.items() if k != "$ref"}}


# Training stages of xlt.train.api and the schema definition of their settings.
STAGE_SCHEMA = {"continue_mlm": "btf", "finetune": "finetune", "train_soft": "soft_hp", "train_hard": "hard_hp"}


def stage_defaults() -> dict[str, dict]:
    """Default training settings of every stage, read from the schema (the one table of defaults).

    Returns ``{stage: {key: default}}`` for the stages of :data:`STAGE_SCHEMA`, plus the settings every stage
    shares from elsewhere in the schema: ``max_length`` (tasks.*.max_length) and ``checkpoint_every``
    (self_training.checkpoint_every), ``precision`` (training.precision).
    """
    schema = load_schema()
    shared = {
        "max_length": schema["properties"]["tasks"]["properties"]["cls"]["properties"]["max_length"]["default"],
        "checkpoint_every": schema["properties"]["self_training"]["properties"]["checkpoint_every"]["default"],
        "precision": schema["properties"]["training"]["properties"]["precision"]["default"],
    }
    out = {}
    for stage, name in STAGE_SCHEMA.items():
        props = _resolve(schema, schema["$defs"][name])["properties"]
        out[stage] = {key: _resolve(schema, node)["default"] for key, node in props.items()}
        out[stage].update(shared)
    return out


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    """One line for a schema violation: the key and what is expected there."""
    key = _key(error.absolute_path)
    v = error.validator
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"config: unknown key {_key(list(error.absolute_path) + [extra[0]])!r} (allowed here: {allowed})"
    if v == "required":
        return f"config: {key}: {error.message}"
    if v == "propertyNames":
        return f"config: {key}: key {error.instance!r} is not allowed ({error.message})"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"config: {key} = {error.instance!r} is out of range ({v} {error.validator_value})"
    if v == "enum":
        return f"config: {key} = {error.instance!r}; expected one of {error.validator_value}"
    if v == "type":
        return f"config: {key} = {error.instance!r}; expected {error.validator_value}"
    if v == "oneOf":
        return f"config: {key} = {error.instance!r}; expected {error.schema.get('description', 'a valid value')}"
    if v == "minLength" and error.instance == "":
        return f"config: {key} is empty; expected {error.schema.get('description', 'a non-empty string')}"
    if v == "pattern":
        return f"config: {key} = {error.instance!r}; expected {error.schema.get('description', error.message)}"
    return f"config: {key}: {error.message}"


def validate(config: dict) -> dict:
    """Validate a config dict; raise :class:`UserError` with one line for the first problem found."""
    if not isinstance(config, dict) or not config:
        raise UserError("config: empty or not a mapping; expected the keys of config.yaml")
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), _key(e.absolute_path)))
    if errors:
        raise UserError(_describe(jsonschema.exceptions.best_match(errors)))
    _cross_checks(config)
    return config


def _cross_checks(config: dict) -> None:
    variants = config["variants"]
    thresholds = config["self_training"]["thresholds"]
    if list(thresholds) != sorted(thresholds):
        raise UserError("config: self_training.thresholds must be in ascending order")
    voters = config["self_training"]["voters"]
    if len(voters["size_offsets"]) < voters["count"]:
        raise UserError(
            f"config: self_training.voters.size_offsets has {len(voters['size_offsets'])} entries; "
            f"expected at least voters.count = {voters['count']}"
        )
    for task in TASKS:
        tcfg = config["tasks"][task]
        _check_languages(tcfg, f"tasks.{task}")
        try:
            parse_schedule(tcfg["self_training"]["schedule"])
        except UserError as err:
            raise UserError(f"config: tasks.{task}.self_training.schedule: {err}") from None
        for name in tcfg["variants"]:
            if name not in variants:
                raise UserError(f"config: tasks.{task}.variants names {name!r}, which is not under variants:")
            try:
                variant_chain(variants[name], tcfg["self_training"]["schedule"])
            except UserError as err:
                raise UserError(f"config: variants.{name}.schedule: {err}") from None
        if not tcfg["enabled"]:
            continue
        for name in config["report"]["main_variants"]:
            if name not in tcfg["variants"]:
                raise UserError(f"config: report.main_variants names {name!r}, not in tasks.{task}.variants")
    if config["tasks"]["conll"]["self_training"]["hard"]["balance"] != "none":
        raise UserError("config: tasks.conll.self_training.hard.balance must be none "
                        "(class balance applies to sentence classification only)")
    for task in TASKS:
        if not config["tasks"][task]["enabled"]:
            continue
        known = set(targets(config, task)) | {split_target(task, t)[0] for t in targets(config, task)}
        for key, value in (config["tasks"][task].get("unlabeled") or {}).items():
            lang, dash, domain = key.partition("-")
            if normalise_lang(lang) + dash + domain not in known:
                raise UserError(f"config: tasks.{task}.unlabeled.{key}: not a target of {task} "
                                f"(targets: {', '.join(targets(config, task))})")
            corpus_spec(value, f"config: tasks.{task}.unlabeled.{key}")
    conll = config["tasks"]["conll"]
    if conll["enabled"]:
        source = conll["source_language"]
        if conll_split_file(config, source, "train") is None:
            raise UserError(f"config: data.conll.files.{source}.train is required (the source-language training set)")
        random_btf = any(variants[v]["btf"] == "random" for v in conll["variants"])
        for lang in conll["languages"]:
            if source != "en" and unlabeled_spec(config, "conll", lang) is None:
                raise UserError(f"config: tasks.conll.unlabeled.{lang} is required with tasks.conll.source_language "
                                f"{source} (the Wikipedia harvest maps the entities of an English training set)")
            if conll_split_file(config, lang, "test") is None:
                raise UserError(f"config: data.conll.files.{lang}.test is required for target {lang}")
            if unlabeled_spec(config, "conll", lang) is None:
                _check_mapping(config["wikipedia"], lang)
            if lang not in config["wikipedia"]["dumps"]:
                if unlabeled_spec(config, "conll", lang) is None:
                    raise UserError(f"config: wikipedia.dumps.{lang} is required (the NER task corpus is harvested "
                                    f"from it), or give the corpus as tasks.conll.unlabeled.{lang}")
                if random_btf:
                    raise UserError(f"config: wikipedia.dumps.{lang} is required (a variant with btf: random samples "
                                    "random Wikipedia text)")
    cls = config["tasks"]["cls"]
    if cls["enabled"] and "synthetic" not in config:
        check_cls_files(config)
    if cls["enabled"] and any(variants[v]["btf"] == "random" for v in cls["variants"]):
        for lang in cls["languages"]:
            if normalise_lang(lang) not in config["wikipedia"]["dumps"]:
                raise UserError(
                    f"config: wikipedia.dumps.{normalise_lang(lang)} is required "
                    "(a variant with btf: random samples random Wikipedia text)"
                )
    for name in config["report"]["tables"]:
        spec = PAPER_TABLES[name]
        task = spec["task"]
        if not config["tasks"][task]["enabled"]:
            continue
        needed = table_variants(spec)
        missing = [v for v in needed if v not in config["tasks"][task]["variants"]]
        if missing:
            raise UserError(f"config: report.tables has {name}, which needs tasks.{task}.variants {missing}")
        if spec["kind"] == "rounds" and config["report"]["evaluate"] != "all":
            raise UserError(f"config: report.tables has {name}, which reads every self-training round; "
                            "it needs report.evaluate: all")
    predict_jobs(config)
    fig = config["report"]["figure2"]
    if fig is not None and config["tasks"][fig["task"]]["enabled"]:
        if fig["target"] not in targets(config, fig["task"]):
            raise UserError(f"config: report.figure2.target {fig['target']!r} is not a target of {fig['task']}")
        if fig["variant"] not in config["tasks"][fig["task"]]["variants"]:
            raise UserError(f"config: report.figure2.variant {fig['variant']!r} is not in tasks.{fig['task']}.variants")
        chain = variant_chain(variants[fig["variant"]], config["tasks"][fig["task"]]["self_training"]["schedule"])
        if not any(s.kind == "hard" and s.round == fig["round"] for s in chain.steps):
            raise UserError(
                f"config: report.figure2: variant {fig['variant']!r} has no hard step in round {fig['round']} "
                "(the threshold curve is drawn where a threshold is chosen)"
            )


def _check_languages(tcfg: dict, where: str) -> None:
    """Target languages are distinct after aliases (``jp`` is ``ja``) and differ from the source language."""
    seen: dict[str, str] = {}
    for lang in tcfg["languages"]:
        code = normalise_lang(lang)
        if code in seen:
            raise UserError(f"config: {where}.languages lists {seen[code]!r} and {lang!r}, the same language "
                            f"({code}); keep one")
        if code == tcfg["source_language"]:
            raise UserError(f"config: {where}.languages lists {lang!r}, the source language; targets must differ "
                            f"from {where}.source_language")
        seen[code] = lang


def _check_mapping(wiki: dict, lang: str) -> None:
    """The English -> target title mapping has the files it needs (checked before the DAG is built)."""
    from xlt.wiki.mapping import mapping_resources

    try:
        mapping_resources(wiki, lang)
    except UserError as err:
        raise UserError(f"config: {err}") from None


PREDICT_SUFFIXES = (".txt", ".jsonl", ".json", ".conll", ".review", ".xml")


def predict_name(path) -> str:
    """The output name of a predict input: its file name without a known extension (``deu.testb`` stays)."""
    name = Path(path).name
    for suffix in PREDICT_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def predict_jobs(config: dict) -> list[dict]:
    """The files of ``predict:`` as ``{task, target, name, path, variants}``, checked against the tasks."""
    section = config.get("predict") or {}
    variants = list(section.get("variants") or ["full"])
    jobs = []
    for task in TASKS:
        for target, files in (section.get(task) or {}).items():
            key = f"predict.{task}.{target}"
            if not config["tasks"][task]["enabled"]:
                raise UserError(f"config: {key}: task {task} is not enabled (tasks.{task}.enabled)")
            if target not in targets(config, task):
                raise UserError(f"config: {key}: {target!r} is not a target of {task} "
                                f"(expected one of {', '.join(targets(config, task))})")
            for name in variants:
                if name not in config["tasks"][task]["variants"]:
                    raise UserError(f"config: predict.variants names {name!r}, which is not in tasks.{task}.variants")
            names = {}
            for i, path in enumerate(files):
                name = predict_name(path)
                if not re.fullmatch(r"[A-Za-z0-9_.+-]+", name):
                    raise UserError(f"config: {key}[{i}]: file name {name!r} may hold only letters, digits and _.+-")
                if name in names:
                    raise UserError(f"config: {key}[{i}]: {path} and {names[name]} would both write {name}.jsonl")
                names[name] = path
                jobs.append({"task": task, "target": target, "name": name, "path": path, "variants": variants})
    return jobs


def table_variants(spec: dict) -> list[str]:
    """The variants a table spec reads."""
    names = list(spec.get("variants", []))
    for key in ("baseline", "variant", "ours"):
        if key in spec:
            names.append(spec[key])
    names += spec.get("fixed", [])
    return list(dict.fromkeys(names))


HF_NER_ROOT = "resources/data/hf"  # where the download rule writes the datasets splits of data.conll.files.<lang>.hub


def conll_split_file(config: dict, lang: str, split: str) -> str | None:
    """The file of a NER split: ``data.conll.files.<lang>.<split>``, else, when the language has ``hub:``, the
    Parquet file the download rule writes from the hub (``resources/data/hf/<lang>/<split>.parquet``); None if
    neither is configured."""
    files = config["data"]["conll"]["files"].get(lang) or {}
    if split in files:
        return files[split]
    if files.get("hub"):
        return f"{HF_NER_ROOT}/{lang}/{split}.parquet"
    return None


def check_cls_files(config: dict) -> None:
    """With data.cls.root on disk: every CLS target's test reviews and the source's training reviews exist, so a
    language or domain the copy lacks stops the run with one line (before download the root is absent)."""
    cls = config["tasks"]["cls"]
    root = Path(config["data"]["cls"]["root"])
    if not root.is_dir():
        return
    have = sorted(p.name for p in root.iterdir() if p.is_dir())
    wanted = [(cls["source_language"], "train", "tasks.cls.source_language")]
    wanted += [(lang, "test", "tasks.cls.languages") for lang in cls["languages"]]
    for lang, split, key in wanted:
        for domain in cls["domains"]:
            path = root / cls_language_folder(root, lang) / domain / f"{split}.review"
            if not path.is_file():
                raise UserError(f"config: {key}: {lang} {domain}: {path} not found (data.cls.root has "
                                f"{', '.join(have) or 'no language folders'}; tasks.cls.domains names the "
                                "<lang>/<domain>/ folders)")


def cls_language_folder(root, lang: str) -> str:
    """The folder of a CLS language under ``root``: its code, except Japanese, which Webis-CLS-10 names ``jp``
    (a ``ja`` folder is used when there is one and no ``jp``)."""
    if lang not in ("ja", "jp"):
        return lang
    root = Path(root)
    return "ja" if (root / "ja").is_dir() and not (root / "jp").is_dir() else "jp"


def normalise_lang(lang: str) -> str:
    """Configs may call Japanese ``ja`` or ``jp`` (the CLS corpus' folder name); the workflow says ``ja``."""
    return "ja" if lang == "jp" else lang


def targets(config: dict, task: str) -> list[str]:
    """Target names of a task: ``<lang>-<domain>`` for CLS, ``<lang>`` for CoNLL (empty if disabled)."""
    tcfg = config["tasks"][task]
    if not tcfg["enabled"]:
        return []
    langs = [normalise_lang(lang) for lang in tcfg["languages"]]
    if task == "cls":
        return [f"{lang}-{dom}" for lang in langs for dom in tcfg["domains"]]
    return langs


def unlabeled_spec(config: dict, task: str, target: str) -> dict | None:
    """The unlabeled corpus given by path for a target (``tasks.<task>.unlabeled``: the target's own key, e.g.
    ``de-books``, else its language's), normalised by :func:`xlt.data.unlabeled.corpus_spec`; None if not given."""
    given = config["tasks"][task].get("unlabeled") or {}
    lang, domain = split_target(task, target)
    keys = [target, lang]
    if lang == "ja":  # Webis-CLS-10 names Japanese jp
        keys = [target, f"jp-{domain}", lang, "jp"] if domain else [target, "jp"]
    for key in keys:
        if key in given:
            return corpus_spec(given[key], f"config: tasks.{task}.unlabeled.{key}")
    return None


def unlabeled_key_language(config: dict, task: str, key: str) -> str:
    """The language of a ``tasks.<task>.unlabeled`` key: a language (``zh-yue``, ``jp`` read as ``ja``) or, for
    CLS, a target ``<lang>-<domain>``."""
    lang = normalise_lang(key)
    if task == "conll" or lang in {normalise_lang(x) for x in config["tasks"][task]["languages"]}:
        return lang
    return normalise_lang(key.rpartition("-")[0])


def split_target(task: str, target: str) -> tuple[str, str | None]:
    """``de-books`` -> (``de``, ``books``) for CLS (a domain has no ``-``, a language code may: ``zh-yue-books``);
    ``de`` -> (``de``, None) for CoNLL."""
    if task == "cls":
        lang, _, domain = target.rpartition("-")
        return lang, domain
    return target, None
