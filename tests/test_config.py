"""Config validation: every problem is one line naming the key and what is expected."""

import copy
from pathlib import Path

import pytest
import yaml

import xlt.config as xc
import xlt.config_files as xcf
from xlt.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def paper():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def merged_demo(paper):
    from snakemake.utils import update_config

    cfg = copy.deepcopy(paper)
    update_config(cfg, yaml.safe_load((ROOT / "config" / "demo.yaml").read_text()))
    return cfg


def error_of(cfg) -> str:
    with pytest.raises(UserError) as err:
        xc.validate(cfg)
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_paper_and_demo_configs_are_valid(paper):
    xc.validate(copy.deepcopy(paper))
    xc.validate(merged_demo(paper))


def test_paper_grid(paper):
    assert xc.targets(paper, "cls") == [f"{l}-{d}" for l in ("de", "fr", "ja") for d in ("books", "dvd", "music")]
    assert xc.targets(paper, "conll") == ["de", "es", "nl"]


def test_unknown_key(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["cls"]["btf"]["learning_rte"] = 1e-5
    assert "unknown key 'tasks.cls.btf.learning_rte'" in error_of(cfg)


def test_wrong_type(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["conll"]["max_length"] = "long"
    msg = error_of(cfg)
    assert "tasks.conll.max_length" in msg and "integer" in msg


def test_out_of_range(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["cls"]["btf"]["mlm_probability"] = 1.5
    msg = error_of(cfg)
    assert "tasks.cls.btf.mlm_probability" in msg and "out of range" in msg


def test_threshold_must_be_auto_or_fraction(paper):
    cfg = copy.deepcopy(paper)
    cfg["variants"]["no_at"]["threshold"] = "high"
    assert "variants.no_at.threshold" in error_of(cfg)


def test_missing_required_key(paper):
    cfg = copy.deepcopy(paper)
    del cfg["seeds"]
    assert "'seeds' is a required property" in error_of(cfg)


def test_task_names_unknown_variant(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["cls"]["variants"].append("nope")
    assert "tasks.cls.variants names 'nope'" in error_of(cfg)


def test_bad_schedule(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["conll"]["self_training"]["schedule"] = "HS"
    assert error_of(cfg).startswith("config: tasks.conll.self_training.schedule")


def test_table_needs_its_variants(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["conll"]["variants"].remove("shshs")
    assert "table9" in error_of(cfg)


def test_round_tables_need_every_stage_scored(paper):
    cfg = copy.deepcopy(paper)
    cfg["report"]["evaluate"] = "final"
    assert "table7" in error_of(cfg) and "report.evaluate" in error_of(cfg)
    cfg["report"]["tables"] = ["table3", "table4", "table5", "table6", "table8"]
    xc.validate(cfg)
    cfg["report"]["evaluate"] = "last"
    assert "report.evaluate" in error_of(cfg)
    del cfg["report"]["evaluate"]
    assert "evaluate" in error_of(cfg)


def test_voter_widths_cover_voters(paper):
    cfg = copy.deepcopy(paper)
    cfg["self_training"]["voters"]["count"] = 7
    assert "size_offsets" in error_of(cfg)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model:\n  source: [hub\n")
    with pytest.raises(UserError, match=r"bad.yaml:\d+:\d+: invalid YAML"):
        xcf.load(path)


def test_every_key_of_config_yaml_has_a_comment():
    missing = []
    for lineno, line in enumerate((ROOT / "config.yaml").read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("- "):
            continue
        if ":" in stripped and "#" not in stripped and not stripped.endswith(":"):
            missing.append(lineno)
    assert not missing, f"config.yaml lines without a comment: {missing}"


def test_empty_model_name(paper):
    cfg = copy.deepcopy(paper)
    cfg["model"]["name"] = ""
    assert error_of(cfg).startswith("config: model.name is empty")


@pytest.mark.parametrize("revision", ["../../outside", "main/../..", "/abs", ""])
def test_revision_cannot_leave_the_models_folder(paper, revision):
    cfg = copy.deepcopy(paper)
    cfg["model"]["revision"] = revision
    assert "config: model.revision" in error_of(cfg)


def test_revision_forms_of_the_hub_are_accepted(paper):
    for revision in ("main", "v1.0", "refs/pr/3", "0123456789abcdef0123456789abcdef01234567"):
        cfg = copy.deepcopy(paper)
        cfg["model"]["revision"] = revision
        xc.validate(cfg)


@pytest.mark.parametrize("root", ["../elsewhere", "/tmp/elsewhere", "resources/../../elsewhere"])
def test_synthetic_root_stays_inside_the_project(paper, root):
    cfg = merged_demo(paper)
    cfg["synthetic"]["root"] = root
    assert "config: synthetic.root" in error_of(cfg)


def test_language_aliases_are_one_language(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["cls"]["languages"] = ["de", "ja", "jp"]
    msg = error_of(cfg)
    assert "tasks.cls.languages" in msg and "'ja' and 'jp'" in msg


def test_source_language_is_not_a_target(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["cls"]["languages"] = ["de", "en"]
    assert "the source language" in error_of(cfg)


def test_langlinks_mapping_without_its_dump_fails_before_the_dag(paper):
    cfg = copy.deepcopy(paper)
    cfg["wikipedia"]["mapping"] = "langlinks"
    cfg["wikipedia"]["langlinks_sql"] = None
    assert error_of(cfg) == "config: wikipedia.langlinks_sql: required when wikipedia.mapping uses langlinks"


def test_yaml_error_names_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  name: x\n\tlayers: 2\n", encoding="utf-8")
    with pytest.raises(UserError) as err:
        xcf.load(bad)
    assert str(err.value).startswith(f"{bad}:3:1: invalid YAML")


def test_check_config_command(tmp_path, capsys):
    from xlt import cli

    cli.main(["check-config", "--base", str(ROOT / "config.yaml"), str(ROOT / "config" / "demo.yaml")])
    assert "valid" in capsys.readouterr().err
    bad = tmp_path / "run.yaml"
    bad.write_text("model:\n  name: ''\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        cli.main(["check-config", "--base", str(ROOT / "config.yaml"), str(bad)])
    assert stop.value.code == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == "error: config: model.name is empty; expected hub model id or local folder"
    bad.write_text("model:\n  name: x\n   layers: 2\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["check-config", "--base", str(ROOT / "config.yaml"), str(bad)])
    assert f"error: {bad}:3:" in capsys.readouterr().err


# ---------------------------------------------------------------- targets from the data


def test_language_codes_are_checked_by_form_not_by_a_list(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["conll"]["languages"] = ["de", "sw", "zh-yue"]
    cfg["data"]["conll"]["files"]["sw"] = {"test": "sw.test", "encoding": "utf-8"}
    cfg["data"]["conll"]["files"]["zh-yue"] = {"test": "yue.test", "encoding": "utf-8"}
    cfg["wikipedia"]["dumps"].update({"sw": ["sw.xml.bz2"], "zh-yue": ["yue.xml.bz2"]})
    xc.validate(cfg)
    assert xc.targets(cfg, "conll") == ["de", "sw", "zh-yue"]

    cfg["tasks"]["conll"]["languages"] = ["de", "Swahili"]
    assert error_of(cfg) == ("config: tasks.conll.languages.1 = 'Swahili'; expected a language code (ISO 639-1/-3, "
                              "optionally with a subtag: de, sw, zh-yue)")


def test_cls_languages_and_domains_are_any_names_and_targets_split_at_the_last_dash(paper):
    cfg = copy.deepcopy(paper)
    cfg["data"]["cls"]["root"] = "/nonexistent/cls"  # not on disk yet: only the form is checked
    cfg["tasks"]["cls"]["languages"] = ["nl", "zh-yue", "jp"]
    cfg["tasks"]["cls"]["domains"] = ["kitchen", "video_games"]
    cfg["wikipedia"]["dumps"].update({"zh-yue": ["yue.xml.bz2"], "nl": ["nl.xml.bz2"]})
    xc.validate(cfg)
    assert "zh-yue-video_games" in xc.targets(cfg, "cls") and "ja-kitchen" in xc.targets(cfg, "cls")
    assert xc.split_target("cls", "zh-yue-video_games") == ("zh-yue", "video_games")
    assert xc.split_target("cls", "de-books") == ("de", "books")


def test_cls_language_or_domain_missing_from_the_copy_stops_with_one_line(paper, tmp_path):
    root = tmp_path / "cls"
    for lang, domain, split in [("en", "books", "train"), ("jp", "books", "test"), ("sw", "books", "test")]:
        (root / lang / domain).mkdir(parents=True, exist_ok=True)
        (root / lang / domain / f"{split}.review").write_text("<items></items>\n")
    cfg = copy.deepcopy(paper)
    cfg["data"]["cls"]["root"] = str(root)
    cfg["tasks"]["cls"].update(languages=["ja", "sw"], domains=["books"], variants=["full", "mbert"])
    cfg["report"]["tables"] = []
    xc.validate(cfg)  # Japanese is read from the corpus' jp folder

    cfg["tasks"]["cls"]["languages"] = ["sw", "nl"]
    assert error_of(cfg) == (f"config: tasks.cls.languages: nl books: {root}/nl/books/test.review not found "
                             "(data.cls.root has en, jp, sw; tasks.cls.domains names the <lang>/<domain>/ folders)")
    cfg["tasks"]["cls"].update(languages=["sw"], domains=["books", "dvd"])
    assert error_of(cfg).startswith(f"config: tasks.cls.source_language: en dvd: {root}/en/dvd/train.review not found")


def test_japanese_folder_is_jp_or_ja(tmp_path):
    assert xc.cls_language_folder(tmp_path, "ja") == "jp"  # Webis-CLS-10's name, also before download
    (tmp_path / "ja").mkdir()
    assert xc.cls_language_folder(tmp_path, "ja") == xc.cls_language_folder(tmp_path, "jp") == "ja"
    (tmp_path / "jp").mkdir()
    assert xc.cls_language_folder(tmp_path, "ja") == "jp"
    assert xc.cls_language_folder(tmp_path, "sw") == "sw"


def test_source_language_is_a_setting(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["cls"]["source_language"] = "de"
    cfg["tasks"]["cls"]["languages"] = ["fr"]
    cfg["tasks"]["conll"].update(source_language="de", languages=["nl"], unlabeled={"nl": "ned.train"})
    cfg["data"]["conll"]["files"]["de"]["train"] = "deu.train"
    cfg["report"]["tables"] = ["table3", "table4"]
    cfg["report"]["figure2"] = None
    xc.validate(cfg)

    del cfg["data"]["conll"]["files"]["de"]["train"]
    assert error_of(cfg) == "config: data.conll.files.de.train is required (the source-language training set)"
    cfg["data"]["conll"]["files"]["de"]["train"] = "deu.train"
    cfg["tasks"]["conll"]["unlabeled"] = {}
    assert error_of(cfg).startswith("config: tasks.conll.unlabeled.nl is required with tasks.conll.source_language de")


def test_conll_splits_from_the_hub(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["conll"]["languages"] = ["de", "sw"]
    cfg["data"]["conll"]["files"]["sw"] = {"hub": {"path": "wikiann", "name": "sw"}, "encoding": "auto"}
    cfg["wikipedia"]["dumps"]["sw"] = ["sw.xml.bz2"]
    xc.validate(cfg)
    assert xc.conll_split_file(cfg, "sw", "test") == "resources/data/hf/sw/test.parquet"
    assert xc.conll_split_file(cfg, "de", "test") == "resources/data/conll2003/deu.testb"
    assert xc.conll_split_file(cfg, "de", "train") is None

    del cfg["data"]["conll"]["files"]["sw"]["hub"]
    assert error_of(cfg) == "config: data.conll.files.sw.test is required for target sw"


def test_wikipedia_for_a_new_language_names_the_missing_setting(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["conll"]["languages"] = ["sw"]
    cfg["data"]["conll"]["files"]["sw"] = {"test": "sw.test", "encoding": "utf-8"}
    cfg["report"]["figure2"] = None
    assert error_of(cfg) == ("config: wikipedia.dumps.sw is required (the NER task corpus is harvested from it), "
                             "or give the corpus as tasks.conll.unlabeled.sw")

    cfg["wikipedia"]["dumps"]["sw"] = ["swwiki.xml.bz2"]
    cfg["wikipedia"]["mapping"] = "langlinks"
    assert error_of(cfg) == "config: wikipedia.langlinks_sql: required when wikipedia.mapping uses langlinks"

    cfg["tasks"]["conll"]["unlabeled"] = {"sw": "sw_sentences.txt"}  # text given by path: no harvest, no mapping
    xc.validate(cfg)


def test_the_language_of_an_unlabeled_key(paper):
    cfg = copy.deepcopy(paper)
    cfg["tasks"]["cls"]["languages"] = ["de", "zh-yue", "jp"]
    assert [xc.unlabeled_key_language(cfg, "cls", k) for k in ("de", "de-books", "zh-yue", "zh-yue-dvd", "jp-music")] \
        == ["de", "de", "zh-yue", "zh-yue", "ja"]
    assert xc.unlabeled_key_language(cfg, "conll", "zh-yue") == "zh-yue"
