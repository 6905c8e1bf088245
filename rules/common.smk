# Shared definitions: config validation, wildcard constraints, the target list and input functions.
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import xlt.config as xlt_config
import xlt.layout as layout
import xlt.tasks as xlt_tasks
from xlt.errors import UserError
from xlt.failures import print_summary as print_failure_summary
from xlt.runtime import RuntimeSettings
from xlt.selftrain.chains import Chain, chain_prefixes, parse_chain, previous_threshold_chain, variant_chain
from xlt.wiki.mapping import api_runtime

try:
    xlt_config.validate(config)
except UserError as err:
    sys.stderr.write(f"error: {err}\n")
    sys.exit(1)

RESULTS = layout.RESULTS
# params.runtime of the training and inference jobs: how they run, not what they write (not a rerun trigger)
RUNTIME = RuntimeSettings(
    inference_batch_size=config["self_training"]["inference_batch_size"],
    checkpoint_every=config["self_training"]["checkpoint_every"],
    gradient_accumulation_steps=config["training"]["gradient_accumulation_steps"],
    log_to=config["training"]["log_to"],
)
# params.runtime of the Wikipedia jobs: the API's contact, rate limit and cache, the progress interval
WIKI_RUNTIME = RuntimeSettings(
    api=api_runtime(config["wikipedia"]),
    progress_seconds=config["wikipedia"]["progress_seconds"],
)
ENV = "../envs/xlt.yaml"  # jobs that train, predict or tokenise
DATA_ENV = "../envs/data.yaml"  # data, corpus and table jobs: no torch, no transformers
TASK_KIND = xlt_tasks.TASK_KIND
SYNTHETIC = "synthetic" in config


wildcard_constraints:
    task="cls|conll",
    lang="[a-z]{2,3}(-[A-Za-z0-9]+)?",
    domain="[a-z0-9_]+",
    target="[a-z]{2,3}(-[A-Za-z0-9]+)?(-[a-z0-9_]+)?",
    seed=r"\d+",
    corpus="task|random",
    btf="task|random|none",
    split="train|dev|test|unlabeled",
    variant="|".join(sorted(re.escape(v) for v in config["variants"])),


def script_code(name):
    """params.code: a digest of workflow_scripts/<name> and the xlt modules it imports (xlt.codedigest), so
    editing that code re-runs the rule's jobs."""
    from xlt.codedigest import code_digest

    return code_digest(Path(workflow.basedir) / "workflow_scripts" / name)


def task_cfg(task):
    return config["tasks"][task]


def targets(task):
    return xlt_config.targets(config, task)


def target_lang(task, target):
    return xlt_config.split_target(task, target)[0]


def enabled_tasks():
    return [t for t in xlt_config.TASKS if task_cfg(t)["enabled"]]


def run_dir(w):
    """results/<task>/<target>/seed<seed>: every model of one (task, target, seed)."""
    return layout.run_dir(w.task, w.target, w.seed)


# ---------------------------------------------------------------- data files


def cls_review_file(lang, domain, split):
    """The .review file of the configured CLS copy (Japanese lives in the corpus' jp folders, or a ja folder)."""
    root = config["data"]["cls"]["root"]
    folder = xlt_config.cls_language_folder(root, lang)
    return f"{root}/{folder}/{domain}/{split}.review"


def cls_language_domains(lang):
    """The domains of a CLS language: the folders <lang>/<domain>/ of data.cls.root with a train.review, or
    (synthetic or not yet downloaded) Webis-CLS-10's books, dvd and music."""
    root = Path(config["data"]["cls"]["root"])
    folder = root / xlt_config.cls_language_folder(root, lang)
    if SYNTHETIC or not folder.is_dir():
        return list(CLS_DOMAINS)
    found = sorted(p.name for p in folder.iterdir() if (p / "train.review").is_file())
    return found or list(CLS_DOMAINS)


def cls_unlabeled_pool(lang, domain):
    """unlabeled.review when the copy has it; otherwise (if allowed) the train reviews of every domain."""
    path = cls_review_file(lang, domain, "unlabeled")
    if (
        Path(path).exists()
        or not config["data"]["cls"]["unlabeled_fallback"]
        or not Path(cls_review_file(lang, domain, "train")).exists()
    ):
        return [path]
    return [cls_review_file(lang, d, "train") for d in cls_language_domains(lang)]


def conll_file(lang, split):
    path = xlt_config.conll_split_file(config, lang, split)
    if path is None:
        raise UserError(f"config: data.conll.files.{lang}.{split} is not set")
    return path


def labelled_data(task, lang, domain, split):
    """The prepared JSON-lines file of a labelled split."""
    if task == "cls":
        return f"{RESULTS}/data/cls/{lang}/{domain}/{split}.jsonl"
    return f"{RESULTS}/data/conll/{lang}/{split}.jsonl"


def source_train(w):
    """The English training set, or its seeded subset of tasks.<task>.train_size examples."""
    lang, domain = xlt_config.split_target(w.task, w.target)
    path = labelled_data(w.task, task_cfg(w.task)["source_language"], domain, "train")
    size = task_cfg(w.task)["train_size"]
    return path if size is None else str(Path(path).with_name(f"train.sample{size}.jsonl"))


def source_dev(w):
    """The English dev set, for fine-tuning model selection (CoNLL: eng.testa; CLS has none)."""
    if w.task == "conll" and task_cfg("conll")["finetune"]["selection"] == "dev":
        return labelled_data("conll", task_cfg("conll")["source_language"], None, "dev")
    return []


def target_test(w):
    lang, domain = xlt_config.split_target(w.task, w.target)
    return labelled_data(w.task, lang, domain, "test")


def given_unlabeled(task, target):
    """The unlabeled corpus of tasks.<task>.unlabeled for a target ({files, format, field, encoding}), or None."""
    return xlt_config.unlabeled_spec(config, task, target)


def task_corpus(w):
    """Unlabeled target text about the task: the corpus given by path (tasks.<task>.unlabeled), else CLS
    unlabeled reviews, or the entity-based Wikipedia harvest."""
    lang, domain = xlt_config.split_target(w.task, w.target)
    if given_unlabeled(w.task, w.target) is not None:
        return f"{RESULTS}/corpus/{w.task}/{w.target}/unlabeled_given.jsonl"
    if w.task == "cls":
        return f"{RESULTS}/data/cls/{lang}/{domain}/unlabeled.jsonl"
    return f"{RESULTS}/corpus/conll/{lang}/entity_sentences.jsonl"


def given_unlabeled_files(w):
    return given_unlabeled(w.task, w.target)["files"]


def given_unlabeled_spec(w):
    spec = dict(given_unlabeled(w.task, w.target))
    spec.pop("files")
    size = task_cfg(w.task).get("unlabeled_size")
    return {**spec, "size": size}


def btf_target_corpus(w):
    if w.corpus == "task":
        return task_corpus(w)
    return f"{RESULTS}/corpus/{w.task}/{w.target}/random_wikipedia.jsonl"


# ---------------------------------------------------------------- models


def base_model():
    """The multilingual encoder every run starts from."""
    m = config["model"]
    if m["source"] == "hub" and m["layers"] is None and not m["trim_vocab"]:
        return hub_snapshot_dir()
    return f"{RESULTS}/models/base"


def btf_model(task, target, seed, btf):
    if btf == "none":
        return base_model()
    return layout.btf_file(task, target, seed, btf, "model")


def chain_dir(w, chain):
    return layout.chain_dir(w.task, w.target, w.seed, chain.name)


def step_file(w, chain, what):
    """A file of a self-training step (xlt.layout.STEP_FILES: model, health, alpha, source_keep, ...)."""
    return layout.step_file(w.task, w.target, w.seed, chain.name, what)


def finetune_model(w, btf):
    """results/<task>/<target>/seed<k>/ft-<btf>/model. Fine-tuning the plain base model (btf-none) reads only the
    English data, so it runs once per source domain and seed, shared by every target: its <target> is the
    source's (``en-books`` for CLS, ``en`` for CoNLL)."""
    target = w.target
    if btf == "none":
        _, domain = xlt_config.split_target(w.task, w.target)
        source = task_cfg(w.task)["source_language"]
        target = source if domain is None else f"{source}-{domain}"
    return layout.finetune_file(w.task, target, w.seed, btf, "model")


def model_of_chain(w, chain):
    """The model a chain ends in: the fine-tuned model for a bare root, else the chain's last student."""
    if not chain.steps:
        return finetune_model(w, chain.btf)
    return step_file(w, chain, "model")


def variant_chain_of(task, variant):
    return variant_chain(config["variants"][variant], task_cfg(task)["self_training"]["schedule"])


def voter_heads(chain):
    """Number of heads a self-training student gets: M voters, or one plain head (-VM)."""
    return config["self_training"]["voters"]["count"] if chain.heads == "vm" else 1


def training_hp(task, stage):
    """Hyper-parameters of one training stage, plus the settings every stage shares."""
    t = task_cfg(task)
    hp = dict(t[stage]) if stage in ("btf", "finetune") else dict(t["self_training"][stage])
    for key in ("balance", "heldout_texts"):  # settings of the step around training (hard_balance, btf_heldout)
        hp.pop(key, None)
    hp["max_length"] = t["max_length"]
    hp["precision"] = config["training"]["precision"]  # changes results: in params (the run-time knobs: RUNTIME)
    return hp


# ---------------------------------------------------------------- targets


def variant_stage_models(task, target, seed, variant):
    """(stage, model folder) pairs of a variant: fine-tuning, then every self-training step."""
    w = SimpleNamespace(task=task, target=target, seed=seed)
    chain = variant_chain_of(task, variant)
    stages = [("finetune", model_of_chain(w, Chain(chain.btf, chain.heads, ())))]
    stages += [(c.last.stage, model_of_chain(w, c)) for c in chain_prefixes(chain)]
    return stages


def variant_scores(task, variants):
    return [
        layout.variant_scores(task, target, seed, variant)
        for target in targets(task)
        for seed in config["seeds"]
        for variant in variants
    ]


def table_files():
    return [
        f"{RESULTS}/tables/{name}.tsv"
        for name in config["report"]["tables"]
        if task_cfg(xlt_config.PAPER_TABLES[name]["task"])["enabled"]
    ]


def figure2_inputs():
    """Source and target threshold curves and alpha of the configured run (first seed), or {}."""
    fig = config["report"]["figure2"]
    if fig is None or not task_cfg(fig["task"])["enabled"]:
        return {}
    chain = variant_chain_of(fig["task"], fig["variant"])
    hard = next(c for c in chain_prefixes(chain) if c.last.kind == "hard" and c.last.round == fig["round"])
    w = SimpleNamespace(task=fig["task"], target=fig["target"], seed=config["seeds"][0])
    soft = hard.parent()
    return {
        "source_curves": step_file(w, soft, "curve_source"),
        "target_curves": step_file(w, soft, "curve_target"),
        "alphas": step_file(w, soft, "alpha"),
    }


def predict_outputs():
    """results/predict/<task>/<target>/seed<k>/<variant>/<name>.jsonl of every file under predict: in the config."""
    return [
        f"{RESULTS}/predict/{job['task']}/{job['target']}/seed{seed}/{variant}/{job['name']}.jsonl"
        for job in xlt_config.predict_jobs(config)
        for seed in config["seeds"]
        for variant in job["variants"]
    ]


def all_targets():
    files = [f"{RESULTS}/data_stats.tsv"]
    files += [f"{RESULTS}/{task}_avg.tsv" for task in enabled_tasks()]
    files += [f"{RESULTS}/{task}_variants.tsv" for task in enabled_tasks()]
    files += [f"{RESULTS}/{task}_selftrain.tsv" for task in enabled_tasks()]
    files += [f"{RESULTS}/{task}_paired.tsv" for task in enabled_tasks()]
    files += table_files()
    if figure2_inputs():
        files.append(f"{RESULTS}/figures/figure2.png")
    if enabled_tasks():
        files.append(f"{RESULTS}/stage_times.tsv")
    files += predict_outputs()
    return files


# ---------------------------------------------------------------- input functions and params of rules


def seed_of(w):
    return int(w.seed)


def task_kind(w):
    """sequence (CLS) or token (CoNLL) classification."""
    return TASK_KIND[w.task]


def max_length(w):
    return task_cfg(w.task)["max_length"]


def btf_hp(w):
    return training_hp(w.task, "btf")


def btf_heldout(w):
    return task_cfg(w.task)["btf"]["heldout_texts"]


def finetune_hp(w):
    return training_hp(w.task, "finetune")


def soft_hp(w):
    return training_hp(w.task, "soft")


def hard_hp(w):
    return training_hp(w.task, "hard")


def hard_balance(w):
    return task_cfg(w.task)["self_training"]["hard"]["balance"]


def review_input(w):
    return cls_review_file(w.lang, w.domain, w.split)


def unlabeled_pool_input(w):
    return cls_unlabeled_pool(w.lang, w.domain)


def unlabeled_pool_exclusions(w):
    """With the train fallback, texts that are also test reviews are left out of the pool."""
    pool = cls_unlabeled_pool(w.lang, w.domain)
    if pool == [cls_review_file(w.lang, w.domain, "unlabeled")]:
        return []
    return [cls_review_file(w.lang, d, "test") for d in cls_language_domains(w.lang)]


def conll_input(w):
    return conll_file(w.lang, w.split)


def conll_encoding(w):
    return config["data"]["conll"]["files"][w.lang]["encoding"]


def dumps_of_lang(w):
    return config["wikipedia"]["dumps"][w.lang]


def dumps_of_target(w):
    return config["wikipedia"]["dumps"][target_lang(w.task, w.target)]


def target_language(w):
    return target_lang(w.task, w.target)


def source_language(w):
    return task_cfg(w.task)["source_language"]


def btf_model_input(w):
    return btf_model(w.task, w.target, w.seed, w.btf)


def teacher_model(w):
    """Round 1: the source-fine-tuned model; later rounds: the previous round's last student."""
    return model_of_chain(w, parse_chain(w.chain).parent())


def student_init_model(w):
    """Every round's student is restored from the BTF model (Section 3.2)."""
    return btf_model(w.task, w.target, w.seed, parse_chain(w.chain).btf)


def chain_voters(w):
    return voter_heads(parse_chain(w.chain))


def previous_source_keep(w):
    """The English keep-mask of the last earlier round that chose a threshold (none in round 1)."""
    prev = previous_threshold_chain(parse_chain(w.chain))
    return [] if prev is None else step_file(w, prev, "source_keep")


def hard_step_inputs(w):
    soft = parse_chain(w.chain).parent()
    return {
        "student": step_file(w, soft, "model"),
        "alpha": step_file(w, soft, "alpha"),
        "keep": step_file(w, soft, "source_keep"),
    }


def fixed_threshold(w):
    """The fixed threshold of a hard step (-AT, Table 8), or None for the automatic one."""
    thr = parse_chain(w.chain).last.threshold
    return None if thr == "auto" else float(thr)


def step_health_file(w, chain):
    """The health record of a self-training step: health.json (soft) or pseudo_labels.json (hard)."""
    return step_file(w, chain, "health" if chain.last.kind == "soft" else "pseudo_labels")


def variant_health(w):
    """Health records of a variant's BTF (when it has one) and of every self-training step, in training order."""
    chain = variant_chain_of(w.task, w.variant)
    btf = [layout.btf_file(w.task, w.target, w.seed, chain.btf, "health.json")] if chain.btf != "none" else []
    return btf + [step_health_file(w, c) for c in chain_prefixes(chain)]


def variant_health_stages(w):
    chain = variant_chain_of(w.task, w.variant)
    return (["btf"] if chain.btf != "none" else []) + [c.last.stage for c in chain_prefixes(chain)]


def selftrain_entries(w):
    """Every self-training step of a task's variants, once per chain: the rows of results/<task>_selftrain.tsv."""
    entries = {}
    for target in targets(w.task):
        for seed in config["seeds"]:
            run = SimpleNamespace(task=w.task, target=target, seed=seed)
            for variant in task_cfg(w.task)["variants"]:
                chain = variant_chain_of(w.task, variant)
                for i, c in enumerate(chain_prefixes(chain)):
                    key = (target, seed, c.name)
                    if key not in entries:
                        entries[key] = {
                            "task": w.task,
                            "target": target,
                            "seed": seed,
                            "chain": c.name,
                            "stage": c.last.stage,
                            "variants": [],
                            "files": {},
                        }
                    e = entries[key]
                    e["variants"].append(variant)
                    e["files"]["health" if c.last.kind == "soft" else "pseudo"] = step_health_file(run, c)
                    if c.last.kind == "soft" and i + 1 < len(chain.steps) and chain.steps[i + 1].kind == "hard":
                        e["files"]["alpha"] = step_file(run, c, "alpha")
                        e["files"]["keep"] = step_file(run, c, "source_keep")
    return list(entries.values())


def selftrain_inputs(w):
    return sorted({f for e in selftrain_entries(w) for f in e["files"].values()})


def evaluated_stage_models(w):
    """The (stage, model) pairs evaluate_<task> reports for a variant: every stage, or the last (report.evaluate)."""
    stages = variant_stage_models(w.task, w.target, w.seed, w.variant)
    return stages if config["report"]["evaluate"] == "all" else stages[-1:]


def variant_models(w):
    return [model for _, model in evaluated_stage_models(w)]


def variant_stage_names(w):
    return [stage for stage, _ in evaluated_stage_models(w)]


def variant_meta(w):
    lang, domain = xlt_config.split_target(w.task, w.target)
    return {
        "task": w.task,
        "target": w.target,
        "lang": lang,
        "domain": domain,
        "variant": w.variant,
        "seed": int(w.seed),
        "chain": variant_chain_of(w.task, w.variant).name,
    }


def variant_wildcards(w, variant):
    return SimpleNamespace(task=w.task, target=w.target, seed=w.seed, variant=variant)


def run_evaluation(w):
    """params.variants of evaluate_<task>: per variant its meta, the stages it reports with their models, and its
    self-training health records; the job scores each distinct model once."""
    out = []
    for variant in task_cfg(w.task)["variants"]:
        v = variant_wildcards(w, variant)
        out.append(
            {
                "meta": variant_meta(v),
                "stages": variant_stage_names(v),
                "models": variant_models(v),
                "health_stages": variant_health_stages(v),
                "health": variant_health(v),
            }
        )
    return out


def run_models(w):
    """Every model the variants of a (task, target, seed) report, once each, in first-use order."""
    return list(dict.fromkeys(m for v in run_evaluation(w) for m in v["models"]))


def run_health(w):
    return list(dict.fromkeys(h for v in run_evaluation(w) for h in v["health"]))


def predict_model(w):
    """The variant's final model: the last student of its chain, or the fine-tuned model without self-training."""
    return variant_stage_models(w.task, w.target, w.seed, w.variant)[-1][1]


def predict_input(w):
    """The configured file behind results/predict/<task>/<target>/.../<name>.jsonl."""
    for job in xlt_config.predict_jobs(config):
        if (job["task"], job["target"], job["name"]) == (w.task, w.target, w.name) and w.variant in job["variants"]:
            return job["path"]
    raise UserError(f"config: predict.{w.task}.{w.target} lists no file named {w.name} for variant {w.variant}")


def average_table_inputs(w):
    return variant_scores(w.task, config["report"]["main_variants"])


def average_table_spec(w):
    """{output name: table spec} for workflow_scripts/make_tables.py."""
    return {"tsv": {"kind": "summary", "task": w.task, "variants": config["report"]["main_variants"]}}


def all_variants_inputs(w):
    return variant_scores(w.task, task_cfg(w.task)["variants"])


def all_task_scores(w):
    """Every variant score of every enabled task (what a complete run produces)."""
    return [f for task in enabled_tasks() for f in variant_scores(task, task_cfg(task)["variants"])]


def all_variants_spec(w):
    return {"tsv": {"kind": "summary", "task": w.task, "variants": task_cfg(w.task)["variants"]}}


def paired_spec(w):
    return {"tsv": {"kind": "paired", "task": w.task, "variant": "full"}}


def paper_table_inputs(w):
    spec = xlt_config.PAPER_TABLES[w.table]
    return variant_scores(spec["task"], xlt_config.table_variants(spec))


def paper_table_spec(w):
    return {"tsv": xlt_config.PAPER_TABLES[w.table]}


def figure2_title():
    fig = config["report"]["figure2"]
    if fig is None:
        return ""
    return f"{fig['task']} {fig['target']}, variant {fig['variant']}, round {fig['round']}, seed {config['seeds'][0]}"


def figure2_files(w):
    return figure2_inputs()


def data_stats_entries():
    """Every raw benchmark file the enabled tasks read, described for results/data_stats.tsv."""
    entries = []
    cls = task_cfg("cls")
    if cls["enabled"]:
        langs = [cls["source_language"]] + [xlt_config.normalise_lang(l) for l in cls["languages"]]
        for lang in dict.fromkeys(langs):
            for domain in cls["domains"]:
                for split in ("train", "test"):
                    entries.append(
                        {
                            "task": "cls",
                            "lang": lang,
                            "domain": domain,
                            "split": split,
                            "path": cls_review_file(lang, domain, split),
                            "encoding": "utf-8",
                        }
                    )
                if lang != cls["source_language"]:
                    for path in cls_unlabeled_pool(lang, domain):
                        entries.append(
                            {
                                "task": "cls",
                                "lang": lang,
                                "domain": domain,
                                "split": "unlabeled",
                                "path": path,
                                "encoding": "utf-8",
                            }
                        )
    conll = task_cfg("conll")
    if conll["enabled"]:
        files = config["data"]["conll"]["files"]
        for lang in dict.fromkeys([conll["source_language"]] + conll["languages"]):
            for split in ("train", "dev", "test"):
                if xlt_config.conll_split_file(config, lang, split) is not None:
                    entries.append(
                        {
                            "task": "conll",
                            "lang": lang,
                            "domain": None,
                            "split": split,
                            "path": xlt_config.conll_split_file(config, lang, split),
                            "encoding": files[lang]["encoding"],
                        }
                    )
    for task in enabled_tasks():
        for target in targets(task):
            spec = given_unlabeled(task, target)
            if spec is None:
                continue
            lang, domain = xlt_config.split_target(task, target)
            for path in spec["files"]:
                entries.append(
                    {
                        "task": task,
                        "lang": lang,
                        "domain": domain,
                        "split": "unlabeled-given",
                        "path": path,
                        "encoding": spec["encoding"],
                        "format": spec["format"],
                        "field": spec["field"],
                    }
                )
    return entries


def data_stats_inputs(w):
    return {"files": sorted({e["path"] for e in data_stats_entries()})}


def mapping_settings(w):
    """What decides the English -> target title mapping (a rerun trigger); the rest is in WIKI_RUNTIME."""
    from xlt.wiki.mapping import split_mapping_config

    return split_mapping_config(config["wikipedia"], w.lang)[0]


def mapping_resources(w):
    """Files the configured English -> target title mapping reads (none for the online API)."""
    from xlt.wiki.mapping import mapping_resources as files_of_mapping

    return files_of_mapping(config["wikipedia"], w.lang)


CLS_DOMAINS = ("books", "dvd", "music")
WEBIS_LANGUAGES = ("de", "en", "fr", "ja")  # the languages of Webis-CLS-10 as downloaded


def cls_data_languages():
    """Languages of the configured CLS copy: the synthetic ones (demo), the folders of data.cls.root, or
    (before download) those of Webis-CLS-10."""
    if SYNTHETIC:
        return synthetic_cls_languages()
    root = Path(config["data"]["cls"]["root"])
    if not root.is_dir():
        return list(WEBIS_LANGUAGES)
    found = [p.name for p in sorted(root.iterdir()) if p.is_dir() and any(p.glob("*/train.review"))]
    return [xlt_config.normalise_lang(lang) for lang in found]


def vocabulary_languages():
    """model.vocabulary_languages, or (null) the source language and the targets of the enabled tasks."""
    given = config["model"].get("vocabulary_languages")
    if given:
        return [xlt_config.normalise_lang(l) for l in given]
    langs = []
    for task in enabled_tasks():
        langs += [task_cfg(task)["source_language"]] + [target_lang(task, t) for t in targets(task)]
    return list(dict.fromkeys(langs))


def vocabulary_sources():
    """Texts the base model's vocabulary is built from (tiny model) or trimmed to (trim_vocab): every data file
    configured for the languages of vocabulary_languages(), read in full (all CLS domains and splits, every CoNLL
    file, every unlabeled corpus given by path), so that with model.vocabulary_languages set, adding a target
    among them or resizing a corpus leaves the base model, and every other target's results, as they were.
    The exception: a CoNLL target whose task corpus is harvested adds its harvest (no configured file holds it).
    A list of {path, kind, format, field, encoding}."""
    m = config["model"]
    if m["source"] != "tiny" and not m["trim_vocab"]:
        return []
    langs = set(vocabulary_languages())
    out = []

    def add(path, kind, fmt, field=None, encoding="auto"):
        out.append({"path": str(path), "kind": kind, "format": fmt, "field": field, "encoding": encoding})

    if task_cfg("cls")["enabled"]:
        from_disk = "synthetic" not in config and Path(config["data"]["cls"]["root"]).is_dir()
        for lang in cls_data_languages():
            if lang not in langs:
                continue
            for domain in task_cfg("cls")["domains"] if SYNTHETIC else cls_language_domains(lang):
                for split in ("train", "test", "unlabeled"):
                    path = cls_review_file(lang, domain, split)
                    if not from_disk or Path(path).is_file():  # the synthetic and downloaded copies have all three
                        add(path, "sequence", "webis")
    if task_cfg("conll")["enabled"]:
        for lang, files in config["data"]["conll"]["files"].items():
            if lang not in langs:
                continue
            for split in ("train", "dev", "test"):
                path = xlt_config.conll_split_file(config, lang, split)
                datasets_form = path is not None and Path(path).suffix in (".parquet", ".arrow")
                if datasets_form:  # a datasets split: read its prepared words
                    add(labelled_data("conll", lang, None, split), "token", "jsonl")
                elif path is not None:
                    add(path, "token", "conll", encoding=files.get("encoding", "auto"))
        for lang in task_cfg("conll")["languages"]:
            if given_unlabeled("conll", lang) is None:
                add(f"{RESULTS}/corpus/conll/{lang}/entity_sentences.jsonl", "token", "jsonl")
    for task in enabled_tasks():
        kind = "sequence" if task == "cls" else "token"
        for key, value in (task_cfg(task).get("unlabeled") or {}).items():
            if xlt_config.unlabeled_key_language(config, task, key) not in langs:
                continue
            spec = xlt_config.corpus_spec(value, f"config: tasks.{task}.unlabeled.{key}")
            for path in spec["files"]:
                add(path, kind, spec["format"], spec["field"], spec["encoding"])
    unique = {}
    for src in out:
        unique.setdefault(src["path"], src)
    return list(unique.values())


def vocabulary_files():
    return [src["path"] for src in vocabulary_sources()]


def source_training_texts():
    """The prepared source-language training files of the enabled tasks (MLM head warm-up of the base model)."""
    if config["model"]["head_warmup"]["steps"] == 0 or config["model"]["source"] == "tiny":
        return []
    files = []
    for task in enabled_tasks():
        src = task_cfg(task)["source_language"]
        domains = task_cfg(task)["domains"] if task == "cls" else [None]
        files += [labelled_data(task, src, d, "train") for d in domains]
    return files


def base_model_snapshot():
    m = config["model"]
    if m["source"] == "hub":
        return hub_snapshot_dir()
    if m["source"] == "local":
        return m["name"]
    return []


def synthetic_cls_languages():
    cls = task_cfg("cls")
    return [cls["source_language"]] + [xlt_config.normalise_lang(l) for l in cls["languages"]] if cls["enabled"] else []


def synthetic_conll_languages():
    conll = task_cfg("conll")
    return [conll["source_language"]] + conll["languages"] if conll["enabled"] else []


def synthetic_root(w):
    return config["synthetic"]["root"]


def synthetic_outputs():
    from xlt.synthetic import synthetic_files

    root = config["synthetic"]["root"]
    rel = synthetic_files(synthetic_cls_languages(), task_cfg("cls")["domains"], synthetic_conll_languages())
    return [f"{root}/{p}" for p in rel]


HUB_SEP = "--"  # folder names spell the hub id's separator as "--"


def hub_snapshot_dir():
    """resources/models/<owner--name>@<revision>: where download_model puts the hub snapshot."""
    m = config["model"]
    owner_name = HUB_SEP.join(Path(m["name"]).parts)
    return f"resources/models/{owner_name}@{m['revision']}"


def hub_model_name(w):
    return Path(*w.name.split(HUB_SEP)).as_posix()


def wikipedia_dump_url(w):
    return config["wikipedia"]["dump_url_template"].format(lang=w.lang)
