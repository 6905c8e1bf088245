"""Code versions as rerun triggers: a script's digest covers exactly the xlt modules it reaches."""

import shutil
import textwrap
from pathlib import Path

import pytest

from xlt.codedigest import code_digest, code_files

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def tree(tmp_path):
    write(tmp_path / "xlt" / "__init__.py", "")
    write(tmp_path / "xlt" / "train" / "__init__.py", "")
    write(tmp_path / "xlt" / "train" / "api.py", "from .data import encode\nfrom xlt import errors\n")
    write(tmp_path / "xlt" / "train" / "data.py", "def encode():\n    from xlt.text import words\n")
    write(tmp_path / "xlt" / "text.py", "words = 1\n")
    write(tmp_path / "xlt" / "errors.py", "")
    write(tmp_path / "xlt" / "report.py", "import json\nfrom xlt.errors import x\n")
    write(tmp_path / "scripts" / "train.py", "from xlt.train import api\n")
    write(tmp_path / "scripts" / "table.py", "import xlt.report\n")
    return tmp_path


def test_files_follow_absolute_relative_and_function_level_imports(tmp_path):
    root = tree(tmp_path)
    names = {p.relative_to(root).as_posix() for p in code_files(root / "scripts" / "train.py", root)}
    assert names == {"scripts/train.py", "xlt/__init__.py", "xlt/train/__init__.py", "xlt/train/api.py",
                     "xlt/train/data.py", "xlt/text.py", "xlt/errors.py"}


def test_an_edit_changes_the_digest_of_the_scripts_that_reach_it_only(tmp_path):
    root = tree(tmp_path)

    def digests():
        from xlt import codedigest

        codedigest._digest.cache_clear()
        return {s: code_digest(root / "scripts" / f"{s}.py", root) for s in ("train", "table")}

    before = digests()
    (root / "xlt" / "text.py").write_text("words = 2\n")  # reached by train.py through a function-level import
    after = digests()
    assert after["train"] != before["train"] and after["table"] == before["table"]
    (root / "xlt" / "errors.py").write_text("x = 1\n")  # reached by both
    both = digests()
    assert both["train"] != after["train"] and both["table"] != after["table"]


@pytest.mark.slow
def test_on_the_workflow_an_edit_of_the_plots_reaches_the_figure_script_only(tmp_path):
    from xlt import codedigest

    for folder in ("xlt", "workflow_scripts"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    scripts = sorted((tmp_path / "workflow_scripts").glob("*.py"))
    codedigest._digest.cache_clear()
    before = {s.name: code_digest(s, tmp_path) for s in scripts}
    with open(tmp_path / "xlt" / "plots.py", "a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    codedigest._digest.cache_clear()
    changed = {s.name for s in scripts if code_digest(s, tmp_path) != before[s.name]}
    assert changed == {"figure2.py"}
    with open(tmp_path / "xlt" / "wiki" / "harvest.py", "a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    codedigest._digest.cache_clear()
    changed = {s.name for s in scripts if code_digest(s, tmp_path) != before[s.name]}
    assert {"harvest_entity_sentences.py", "sample_random_wikipedia.py"} <= changed  # the random sample uses it
    # the title mapping writes its statistics with xlt.wiki.corpus_stats and never imports the harvest
    assert not {"map_entity_titles.py", "finetune_source.py", "soft_label_step.py", "make_tables.py",
                "prepare_conll.py"} & changed
    codedigest._digest.cache_clear()
