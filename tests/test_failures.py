"""The end-of-run summary: each failed job with the one line of its log that says why."""

import subprocess
import sys
import textwrap

import pytest

from xlt.failures import failed_jobs, reason, summary


def test_reason_prefers_the_error_line_then_the_exception():
    assert reason("loading\nerror: data/x.tsv:3: bad column\nmore output\n") == "error: data/x.tsv:3: bad column"
    traceback = ("Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
                 "safetensors_rust.SafetensorError: Error while deserializing header: invalid JSON\n")
    assert reason(traceback) == "safetensors_rust.SafetensorError: Error while deserializing header: invalid JSON"
    assert reason("step 1\nKilled\n") == "Killed"
    assert reason("\n \n") is None


def test_failed_jobs_are_read_from_the_run_log():
    log = textwrap.dedent("""\
        Error in rule finetune_source:
            message: None
            jobid: 3
            output: results/cls/de-books/seed1/ft-task/model
            log: logs/finetune_source/cls-de-books-seed1-task.log (check log file(s) for error details)
            conda-env: /x
        Shutting down, this might take some time.
        Error in rule evaluate_variant:
            jobid: 9
            log: logs/a.log, logs/b.log (check log file(s) for error details)
        Error in rule finetune_source:
            log: logs/finetune_source/cls-de-books-seed1-task.log (check log file(s) for error details)
        """)
    assert failed_jobs(log) == [
        {"rule": "finetune_source", "logs": ["logs/finetune_source/cls-de-books-seed1-task.log"]},
        {"rule": "evaluate_variant", "logs": ["logs/a.log", "logs/b.log"]},
    ]


def test_a_real_run_ends_with_one_line_per_failed_job(tmp_path):
    (tmp_path / "Snakefile").write_text(textwrap.dedent("""\
        from xlt.failures import print_summary

        rule all:
            input: "a.txt", "b.txt", "c.txt"

        rule fail:
            output: "{x}.txt"
            log: "logs/{x}.log"
            wildcard_constraints: x="a|b"
            shell: "(echo start; echo 'error: data/{wildcards.x}.tsv:3: expected 4 columns') > {log}; exit 1"

        rule ok:
            output: "c.txt"
            shell: "touch {output}"

        onerror:
            print_summary(log)
        """))
    res = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "--keep-going"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode != 0
    tail = res.stderr[res.stderr.index("2 job(s) failed"):].splitlines()
    assert tail[1:3] == ["  rule fail (logs/a.log): error: data/a.tsv:3: expected 4 columns",
                         "  rule fail (logs/b.log): error: data/b.tsv:3: expected 4 columns"]
    assert (tmp_path / "c.txt").exists()


def test_no_run_log_no_summary(tmp_path):
    assert summary(tmp_path / "missing.log") == []


@pytest.mark.slow
def test_the_workflow_shows_a_bad_data_file_as_one_line_and_in_the_summary(tmp_path):
    """The demo configuration with a German test file that has a line without its tag column: the job's own line
    reaches the terminal, the end-of-run summary repeats it under the failed rule, nothing is written."""
    import shutil

    import yaml

    from test_demo import ROOT, run

    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    sentences = ["Katja B-PER", "wohnt O", "in O", "Bremen B-LOC", ". O", "", "Die O", "Katja", "lacht O", ""]
    (tmp_path / "bad.testb").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    cfg = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    cfg["data"]["conll"]["files"]["de"]["test"] = "bad.testb"
    (tmp_path / "bad-data.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    res = run(tmp_path, "--cores", "1", "--configfile", "bad-data.yaml", "--", "results/data/conll/de/test.jsonl",
              timeout=300)
    terminal = (res.stdout + res.stderr).splitlines()
    assert res.returncode != 0
    line = "error: bad.testb:8: 1 columns, expected 2 like line 1 ('word ... tag')"
    assert line in terminal, res.stderr[-3000:]
    summary = terminal.index(next(t for t in terminal if "job(s) failed" in t))
    assert "  rule prepare_conll_split (logs/prepare_conll_split/de-test.log): " + line in terminal[summary:]
    assert not (tmp_path / "results" / "data" / "conll" / "de").exists() or not any(
        (tmp_path / "results" / "data" / "conll" / "de").iterdir())
