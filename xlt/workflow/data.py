"""The benchmark files, task corpora and base-model sources the configured run reads (see :mod:`xlt.workflow`)."""

from __future__ import annotations

from pathlib import Path

import xlt.config as xlt_config
from xlt.errors import UserError
from xlt.layout import RESULTS

CLS_DOMAINS = ("books", "dvd", "music")
WEBIS_LANGUAGES = ("de", "en", "fr", "ja")  # the languages of Webis-CLS-10 as downloaded
HUB_SEP = "--"  # folder names spell the hub id's separator as "--"


class DataPlan:
    """Data files of a validated config."""

    def __init__(self, config: dict):
        self.config = config
        self.synthetic = "synthetic" in config

    def task_cfg(self, task):
        return self.config["tasks"][task]

    def targets(self, task):
        return xlt_config.targets(self.config, task)

    def target_lang(self, task, target):
        return xlt_config.split_target(task, target)[0]

    def enabled_tasks(self):
        return [t for t in xlt_config.TASKS if self.task_cfg(t)["enabled"]]

    def cls_review_file(self, lang, domain, split):
        """The .review file of the configured CLS copy (Japanese lives in the corpus' jp folders, or a ja folder)."""
        root = self.config["data"]["cls"]["root"]
        folder = xlt_config.cls_language_folder(root, lang)
        return f"{root}/{folder}/{domain}/{split}.review"

    def cls_language_domains(self, lang):
        """The domains of a CLS language: the folders <lang>/<domain>/ of data.cls.root with a train.review, or
        (synthetic or not yet downloaded) Webis-CLS-10's books, dvd and music."""
        root = Path(self.config["data"]["cls"]["root"])
        folder = root / xlt_config.cls_language_folder(root, lang)
        if self.synthetic or not folder.is_dir():
            return list(CLS_DOMAINS)
        found = sorted(p.name for p in folder.iterdir() if (p / "train.review").is_file())
        return found or list(CLS_DOMAINS)

    def cls_unlabeled_pool(self, lang, domain):
        """unlabeled.review when the copy has it; otherwise (if allowed) the train reviews of every domain."""
        path = self.cls_review_file(lang, domain, "unlabeled")
        if (
            Path(path).exists()
            or not self.config["data"]["cls"]["unlabeled_fallback"]
            or not Path(self.cls_review_file(lang, domain, "train")).exists()
        ):
            return [path]
        return [self.cls_review_file(lang, d, "train") for d in self.cls_language_domains(lang)]

    def conll_file(self, lang, split):
        path = xlt_config.conll_split_file(self.config, lang, split)
        if path is None:
            raise UserError(f"config: data.conll.files.{lang}.{split} is not set")
        return path

    def labelled_data(self, task, lang, domain, split):
        """The prepared JSON-lines file of a labelled split."""
        if task == "cls":
            return f"{RESULTS}/data/cls/{lang}/{domain}/{split}.jsonl"
        return f"{RESULTS}/data/conll/{lang}/{split}.jsonl"

    def given_unlabeled(self, task, target):
        """The unlabeled corpus of tasks.<task>.unlabeled for a target ({files, format, field, encoding}), or None."""
        return xlt_config.unlabeled_spec(self.config, task, target)

    def source_train(self, w):
        """The English training set, or its seeded subset of tasks.<task>.train_size examples."""
        lang, domain = xlt_config.split_target(w.task, w.target)
        path = self.labelled_data(w.task, self.task_cfg(w.task)["source_language"], domain, "train")
        size = self.task_cfg(w.task)["train_size"]
        return path if size is None else str(Path(path).with_name(f"train.sample{size}.jsonl"))

    def source_dev(self, w):
        """The English dev set, for fine-tuning model selection (CoNLL: eng.testa; CLS has none)."""
        if w.task == "conll" and self.task_cfg("conll")["finetune"]["selection"] == "dev":
            return self.labelled_data("conll", self.task_cfg("conll")["source_language"], None, "dev")
        return []

    def target_test(self, w):
        lang, domain = xlt_config.split_target(w.task, w.target)
        return self.labelled_data(w.task, lang, domain, "test")

    def task_corpus(self, w):
        """Unlabeled target text about the task: the corpus given by path (tasks.<task>.unlabeled), else CLS
        unlabeled reviews, or the entity-based Wikipedia harvest."""
        lang, domain = xlt_config.split_target(w.task, w.target)
        if self.given_unlabeled(w.task, w.target) is not None:
            return f"{RESULTS}/corpus/{w.task}/{w.target}/unlabeled_given.jsonl"
        if w.task == "cls":
            return f"{RESULTS}/data/cls/{lang}/{domain}/unlabeled.jsonl"
        return f"{RESULTS}/corpus/conll/{lang}/entity_sentences.jsonl"

    def given_unlabeled_files(self, w):
        return self.given_unlabeled(w.task, w.target)["files"]

    def given_unlabeled_spec(self, w):
        spec = dict(self.given_unlabeled(w.task, w.target))
        spec.pop("files")
        size = self.task_cfg(w.task).get("unlabeled_size")
        return {**spec, "size": size}

    def btf_target_corpus(self, w):
        if w.corpus == "task":
            return self.task_corpus(w)
        return f"{RESULTS}/corpus/{w.task}/{w.target}/random_wikipedia.jsonl"

    def review_input(self, w):
        return self.cls_review_file(w.lang, w.domain, w.split)

    def unlabeled_pool_input(self, w):
        return self.cls_unlabeled_pool(w.lang, w.domain)

    def unlabeled_pool_exclusions(self, w):
        """With the train fallback, texts that are also test reviews are left out of the pool."""
        pool = self.cls_unlabeled_pool(w.lang, w.domain)
        if pool == [self.cls_review_file(w.lang, w.domain, "unlabeled")]:
            return []
        return [self.cls_review_file(w.lang, d, "test") for d in self.cls_language_domains(w.lang)]

    def conll_input(self, w):
        return self.conll_file(w.lang, w.split)

    def conll_encoding(self, w):
        return self.config["data"]["conll"]["files"][w.lang]["encoding"]

    def dumps_of_lang(self, w):
        return self.config["wikipedia"]["dumps"][w.lang]

    def dumps_of_target(self, w):
        return self.config["wikipedia"]["dumps"][self.target_lang(w.task, w.target)]

    def target_language(self, w):
        return self.target_lang(w.task, w.target)

    def source_language(self, w):
        return self.task_cfg(w.task)["source_language"]

    def data_stats_entries(self):
        """Every raw benchmark file the enabled tasks read, described for results/data_stats.tsv."""
        entries = []
        cls = self.task_cfg("cls")
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
                                "path": self.cls_review_file(lang, domain, split),
                                "encoding": "utf-8",
                            }
                        )
                    if lang != cls["source_language"]:
                        for path in self.cls_unlabeled_pool(lang, domain):
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
        conll = self.task_cfg("conll")
        if conll["enabled"]:
            files = self.config["data"]["conll"]["files"]
            for lang in dict.fromkeys([conll["source_language"]] + conll["languages"]):
                for split in ("train", "dev", "test"):
                    if xlt_config.conll_split_file(self.config, lang, split) is not None:
                        entries.append(
                            {
                                "task": "conll",
                                "lang": lang,
                                "domain": None,
                                "split": split,
                                "path": xlt_config.conll_split_file(self.config, lang, split),
                                "encoding": files[lang]["encoding"],
                            }
                        )
        for task in self.enabled_tasks():
            for target in self.targets(task):
                spec = self.given_unlabeled(task, target)
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

    def data_stats_inputs(self, w):
        return {"files": sorted({e["path"] for e in self.data_stats_entries()})}

    def mapping_settings(self, w):
        """What decides the English -> target title mapping (a rerun trigger); the rest is in WIKI_RUNTIME."""
        from xlt.wiki.mapping import split_mapping_config

        return split_mapping_config(self.config["wikipedia"], w.lang)[0]

    def mapping_resources(self, w):
        """Files the configured English -> target title mapping reads (none for the online API)."""
        from xlt.wiki.mapping import mapping_resources as files_of_mapping

        return files_of_mapping(self.config["wikipedia"], w.lang)

    def cls_data_languages(self):
        """Languages of the configured CLS copy: the synthetic ones (demo), the folders of data.cls.root, or
        (before download) those of Webis-CLS-10."""
        if self.synthetic:
            return self.synthetic_cls_languages()
        root = Path(self.config["data"]["cls"]["root"])
        if not root.is_dir():
            return list(WEBIS_LANGUAGES)
        found = [p.name for p in sorted(root.iterdir()) if p.is_dir() and any(p.glob("*/train.review"))]
        return [xlt_config.normalise_lang(lang) for lang in found]

    def vocabulary_languages(self):
        """model.vocabulary_languages, or (null) the source language and the targets of the enabled tasks."""
        given = self.config["model"].get("vocabulary_languages")
        if given:
            return [xlt_config.normalise_lang(l) for l in given]
        langs = []
        for task in self.enabled_tasks():
            langs += [self.task_cfg(task)["source_language"]] + [self.target_lang(task, t) for t in self.targets(task)]
        return list(dict.fromkeys(langs))

    def vocabulary_sources(self):
        """Texts the base model's vocabulary is built from (tiny model) or trimmed to (trim_vocab): every data file
        configured for the languages of self.vocabulary_languages(), read in full (all CLS domains and splits, every CoNLL
        file, every unlabeled corpus given by path), so that with model.vocabulary_languages set, adding a target
        among them or resizing a corpus leaves the base model, and every other target's results, as they were.
        The exception: a CoNLL target whose task corpus is harvested adds its harvest (no configured file holds it).
        A list of {path, kind, format, field, encoding}."""
        m = self.config["model"]
        if m["source"] != "tiny" and not m["trim_vocab"]:
            return []
        langs = set(self.vocabulary_languages())
        out = []

        def add(path, kind, fmt, field=None, encoding="auto"):
            out.append({"path": str(path), "kind": kind, "format": fmt, "field": field, "encoding": encoding})

        if self.task_cfg("cls")["enabled"]:
            from_disk = "synthetic" not in self.config and Path(self.config["data"]["cls"]["root"]).is_dir()
            for lang in self.cls_data_languages():
                if lang not in langs:
                    continue
                for domain in self.task_cfg("cls")["domains"] if self.synthetic else self.cls_language_domains(lang):
                    for split in ("train", "test", "unlabeled"):
                        path = self.cls_review_file(lang, domain, split)
                        if not from_disk or Path(path).is_file():  # the synthetic and downloaded copies have all three
                            add(path, "sequence", "webis")
        if self.task_cfg("conll")["enabled"]:
            for lang, files in self.config["data"]["conll"]["files"].items():
                if lang not in langs:
                    continue
                for split in ("train", "dev", "test"):
                    path = xlt_config.conll_split_file(self.config, lang, split)
                    datasets_form = path is not None and Path(path).suffix in (".parquet", ".arrow")
                    if datasets_form:  # a datasets split: read its prepared words
                        add(self.labelled_data("conll", lang, None, split), "token", "jsonl")
                    elif path is not None:
                        add(path, "token", "conll", encoding=files.get("encoding", "auto"))
            for lang in self.task_cfg("conll")["languages"]:
                if self.given_unlabeled("conll", lang) is None:
                    add(f"{RESULTS}/corpus/conll/{lang}/entity_sentences.jsonl", "token", "jsonl")
        for task in self.enabled_tasks():
            kind = "sequence" if task == "cls" else "token"
            for key, value in (self.task_cfg(task).get("unlabeled") or {}).items():
                if xlt_config.unlabeled_key_language(self.config, task, key) not in langs:
                    continue
                spec = xlt_config.corpus_spec(value, f"config: tasks.{task}.unlabeled.{key}")
                for path in spec["files"]:
                    add(path, kind, spec["format"], spec["field"], spec["encoding"])
        unique = {}
        for src in out:
            unique.setdefault(src["path"], src)
        return list(unique.values())

    def vocabulary_files(self):
        return [src["path"] for src in self.vocabulary_sources()]

    def source_training_texts(self):
        """The prepared source-language training files of the enabled tasks (MLM head warm-up of the base model)."""
        if self.config["model"]["head_warmup"]["steps"] == 0 or self.config["model"]["source"] == "tiny":
            return []
        files = []
        for task in self.enabled_tasks():
            src = self.task_cfg(task)["source_language"]
            domains = self.task_cfg(task)["domains"] if task == "cls" else [None]
            files += [self.labelled_data(task, src, d, "train") for d in domains]
        return files

    def base_model_snapshot(self):
        m = self.config["model"]
        if m["source"] == "hub":
            return self.hub_snapshot_dir()
        if m["source"] == "local":
            return m["name"]
        return []

    def synthetic_cls_languages(self):
        cls = self.task_cfg("cls")
        return [cls["source_language"]] + [xlt_config.normalise_lang(l) for l in cls["languages"]] if cls["enabled"] else []

    def synthetic_conll_languages(self):
        conll = self.task_cfg("conll")
        return [conll["source_language"]] + conll["languages"] if conll["enabled"] else []

    def synthetic_root(self, w):
        return self.config["synthetic"]["root"]

    def synthetic_outputs(self):
        from xlt.synthetic import synthetic_files

        root = self.config["synthetic"]["root"]
        rel = synthetic_files(self.synthetic_cls_languages(), self.task_cfg("cls")["domains"], self.synthetic_conll_languages())
        return [f"{root}/{p}" for p in rel]

    def hub_snapshot_dir(self):
        """resources/models/<owner--name>@<revision>: where download_model puts the hub snapshot."""
        m = self.config["model"]
        owner_name = HUB_SEP.join(Path(m["name"]).parts)
        return f"resources/models/{owner_name}@{m['revision']}"

    def hub_model_name(self, w):
        return Path(*w.name.split(HUB_SEP)).as_posix()

    def wikipedia_dump_url(self, w):
        return self.config["wikipedia"]["dump_url_template"].format(lang=w.lang)
