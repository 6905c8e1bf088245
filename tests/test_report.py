import importlib.util
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from xlt.errors import UserError
from xlt.io import write_json
from xlt.plots import plot_threshold_curves
from xlt.report import (
    build_table,
    load_results,
    read_curve,
    rounds_table,
    self_training_stages,
    summary_table,
    thresholds_table,
    write_curve,
    write_table,
)
from xlt.report.health import selftrain_table
from xlt.selftrain.pseudo import balance_classes
from xlt.selftrain.health import (
    check_btf_heldout,
    check_pseudo_classes,
    check_soft_classes,
    predicted_counts,
    pseudo_label_counts,
    soft_fit,
)
from xlt.selftrain.threshold import threshold_curve

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path, **rec):
    base = {"lang": rec["target"].split("-")[0], "domain": None, "metric": "accuracy", "n": 10}
    base.update(rec)
    path = tmp_path / f"{rec['task']}.{rec['target']}.{rec['variant']}.{rec['seed']}.{rec['stage']}.json"
    path.write_text(json.dumps(base))
    return path


@pytest.fixture
def cls_results(tmp_path):
    scores = {  # target -> variant -> per-seed scores
        "fr-books": {"full": [0.80, 0.84], "mbert": [0.70, 0.72]},
        "de-books": {"full": [0.90, 0.86], "mbert": [0.75, 0.75]},
    }
    paths = []
    for target, by_variant in scores.items():
        for variant, values in by_variant.items():
            for seed, score in enumerate(values, 1):
                paths.append(
                    _write(tmp_path, task="cls", target=target, variant=variant, seed=seed, stage="final", score=score)
                )
    # a CoNLL result that must not leak into CLS tables
    paths.append(
        _write(tmp_path, task="conll", target="de", variant="full", seed=1, stage="final", score=0.5, metric="f1")
    )
    return paths


def test_summary_table_means_stds_and_average(cls_results):
    df = load_results(cls_results)
    table = summary_table(df, "cls", ["full", "mbert"])
    assert table["target"].tolist() == ["de-books", "fr-books", "average"]  # paper order
    row = table.set_index("target")
    assert row.loc["de-books", "full"] == 88.0
    assert row.loc["de-books", "full_std"] == pytest.approx(2.83, abs=0.01)  # ddof = 1
    assert row.loc["fr-books", "mbert"] == 71.0
    assert row.loc["average", "full"] == 85.0  # mean of 88 and 82
    # seed 1 average (90+80)/2 = 85, seed 2 (86+84)/2 = 85 -> no spread across seeds
    assert row.loc["average", "full_std"] == 0.0
    assert row["n_seeds"].tolist() == [2, 2, 2]


def test_wide_table_is_the_paper_layout(cls_results):
    df = load_results(cls_results)
    wide = summary_table(df, "cls", ["mbert", "full"], wide=True, labels={"full": "Ours", "mbert": "MBERT"})
    assert wide.columns.tolist() == ["variant", "de-books", "fr-books", "average"]
    assert wide["variant"].tolist() == ["MBERT", "Ours"]
    assert wide.iloc[1].tolist() == ["Ours", 88.0, 82.0, 85.0]


def test_single_seed_std_is_undefined_and_written_as_na(tmp_path):
    df = load_results(
        [_write(tmp_path, task="conll", target="de", variant="full", seed=1, stage="final", score=0.7651)]
    )
    table = summary_table(df, "conll", ["full"])
    assert table.loc[0, "full"] == 76.51
    assert math.isnan(table.loc[0, "full_std"])
    out = tmp_path / "results" / "conll_avg.tsv"
    write_table(table, out)
    lines = out.read_text().splitlines()
    assert lines[0].split("\t") == ["target", "full", "full_std", "n_seeds"]
    assert lines[1].split("\t") == ["de", "76.51", "NA", "1"]
    assert not list(out.parent.glob(".*tmp"))


def _conll_rounds(tmp_path):
    paths = []
    stages = {"finetune": 0.7273, "round1-soft": 0.7522, "round1-hard": 0.7640, "round2-soft": 0.7688}
    for stage, score in stages.items():
        paths.append(
            _write(tmp_path, task="conll", target="de", variant="shs", seed=1, stage=stage, score=score, metric="f1")
        )
    paths.append(
        _write(tmp_path, task="conll", target="de", variant="no_st", seed=1, stage="final", score=0.7200, metric="f1")
    )
    for label, score in {"0.9": 0.7638, "0.999": 0.7587}.items():
        paths.append(
            _write(
                tmp_path,
                task="conll",
                target="de",
                variant=f"fixed_{label}",
                seed=1,
                stage="round1-hard",
                score=score,
                metric="f1",
            )
        )
    return load_results(paths)


def test_rounds_table_orders_stages_like_training(tmp_path):
    df = _conll_rounds(tmp_path)
    assert self_training_stages(df, "conll", "shs") == ["round1-soft", "round1-hard", "round2-soft"]
    table = rounds_table(df, "conll", "shs")
    assert table.columns.tolist() == ["target", "baseline", "round1-soft", "round1-hard", "round2-soft"]
    assert table.iloc[0].tolist() == ["de", 72.73, 75.22, 76.40, 76.88]
    other = rounds_table(
        df,
        "conll",
        "shs",
        ["round1-soft"],
        baseline_variant="no_st",
        baseline_stage="final",
        labels={"baseline": "MBERT", "round1-soft": "Soft1"},
    )
    assert other.iloc[0].to_dict() == {"target": "de", "MBERT": 72.0, "Soft1": 75.22}


def test_thresholds_table(tmp_path):
    df = _conll_rounds(tmp_path)
    table = thresholds_table(df, "conll", {"0.9": "fixed_0.9", "0.999": "fixed_0.999", "Ours": "shs"})
    assert table.columns.tolist() == ["target", "Origin", "0.9", "0.999", "Ours"]
    assert table.iloc[0].tolist() == ["de", 75.22, 76.38, 75.87, 76.40]


def test_build_table_from_workflow_specs(tmp_path):
    df = _conll_rounds(tmp_path)
    t8 = build_table(
        df, "table8", {"kind": "thresholds", "task": "conll", "ours": "shs", "fixed": ["fixed_0.9", "fixed_0.999"]}
    )
    assert t8.columns.tolist() == ["target", "Origin", "0.9", "0.999", "Ours"]
    t9 = build_table(df, "table9", {"kind": "rounds", "task": "conll", "baseline": "no_st", "variant": "shs"})
    assert t9.iloc[0, 1] == 72.0
    with pytest.raises(UserError, match=r"tables\.t\.kind"):
        build_table(df, "t", {"kind": "pie", "task": "conll"})
    with pytest.raises(UserError, match=r"tables\.t\.variants"):
        build_table(df, "t", {"kind": "wide", "task": "conll"})


def test_load_results_rejects_bad_files(tmp_path):
    a = _write(tmp_path, task="cls", target="de-dvd", variant="full", seed=1, stage="final", score=0.8)
    dup = tmp_path / "copy.json"
    dup.write_text(a.read_text())
    with pytest.raises(UserError, match="one file per run"):
        load_results([a, dup])
    pct = tmp_path / "pct.json"
    pct.write_text(json.dumps({**json.loads(a.read_text()), "score": 80.0}))
    with pytest.raises(UserError, match="fraction"):
        load_results([pct])
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps({"task": "cls"}))
    with pytest.raises(UserError, match="missing key"):
        load_results([missing])


def test_curve_roundtrip_and_figure(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    probs = rng.dirichlet([1, 1, 1], size=200)
    gold = rng.integers(0, 3, size=200)
    rows = threshold_curve(probs, gold, [0.5, 0.9, 0.999])
    write_curve(rows, tmp_path / "src.tsv")
    back = read_curve(tmp_path / "src.tsv")
    assert back["selected"].tolist() == [r["selected"] for r in rows]
    png = tmp_path / "fig" / "figure2.png"
    plot_threshold_curves({"source (en)": back, "target (de)": rows}, png, "CoNLL de", alpha=0.9)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_read_curve_names_missing_columns(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("threshold\tprecision\n0.5\t0.9\n")
    with pytest.raises(UserError, match="accuracy"):
        read_curve(bad)


def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "workflow_scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Named(SimpleNamespace):
    def items(self):
        return vars(self).items()


def test_make_tables_script(tmp_path, cls_results, capsys):
    script = _load_script("make_tables")
    out = tmp_path / "results" / "cls_avg.tsv"
    smk = SimpleNamespace(
        input=_Named(results=[str(p) for p in cls_results]),
        params=_Named(tables={"cls_avg": {"kind": "summary", "task": "cls", "variants": ["full", "mbert"]}}),
        output=_Named(cls_avg=str(out)),
    )
    script.main(smk)
    table = pd.read_csv(out, sep="\t")
    assert table["target"].tolist() == ["de-books", "fr-books", "average"]
    smk.params = _Named(tables={"oops": {"kind": "summary", "task": "cls", "variants": ["full"]}})
    with pytest.raises(SystemExit):
        script.main(smk)
    assert capsys.readouterr().err.count("\n") == 1


def test_plot_thresholds_script(tmp_path):
    script = _load_script("figure2")
    rows = [
        {"threshold": t, "accuracy": a, "recall": r, "selected": 1, "total": 1}
        for t, a, r in [(0.5, 0.9, 1.0), (0.9, 0.95, 0.7), (0.99, 0.99, 0.3)]
    ]
    write_curve(rows, tmp_path / "s.tsv")
    write_curve(rows, tmp_path / "t.tsv")
    (tmp_path / "alpha.json").write_text(json.dumps({"alpha": 0.9}))
    png = tmp_path / "f.png"
    script.plot_thresholds(tmp_path / "s.tsv", tmp_path / "t.tsv", tmp_path / "alpha.json", png, title="x")
    assert png.stat().st_size > 1000
    (tmp_path / "alpha.json").write_text(json.dumps({"threshold": 0.9}))
    with pytest.raises(UserError, match="alpha"):
        script.plot_thresholds(tmp_path / "s.tsv", tmp_path / "t.tsv", tmp_path / "alpha.json", png)


BENCH_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _bench(path, seconds, cpu, rss):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BENCH_HEADER + f"{seconds}\t0:00:00\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n")


def test_stage_times_sum_jobs_per_task_seed_and_rule(tmp_path):
    from xlt.report.times import stage_times

    b = tmp_path / "benchmarks"
    _bench(b / "finetune_source" / "cls-de-books-seed1-task.tsv", 60.0, 55.0, 900)
    _bench(b / "finetune_source" / "cls-fr-books-seed1-none.tsv", 40.0, 38.0, 950)
    _bench(b / "soft_label_step" / "cls-de-books-seed1-task-vm.S1.tsv", 30.0, 29.0, 800)
    _bench(b / "finetune_source" / "conll-de-seed2-task.tsv", 10.0, 9.0, 700)
    _bench(b / "harvest_entity_sentences" / "conll-de.tsv", 2.0, 1.5, 100)
    _bench(b / "sample_random_wikipedia" / "conll-es.tsv", 3.0, 2.5, 120)
    _bench(b / "build_base_model.tsv", 90.0, 80.0, 1250)
    t = stage_times(b).set_index(["task", "seed", "rule"])
    ft = t.loc[("cls", "1", "finetune_source")]
    assert (ft["jobs"], ft["wall_s"], ft["cpu_s"], ft["max_wall_s"], ft["max_rss_mib"]) == (2, 100.0, 93.0, 60.0, 950)
    total = t.loc[("cls", "1", "TOTAL")]
    assert (total["jobs"], total["wall_s"]) == (3, 130.0)
    assert t.loc[("conll", "2", "TOTAL"), "wall_s"] == 10.0
    assert t.loc[("conll", "shared", "harvest_entity_sentences"), "jobs"] == 1
    assert t.loc[("conll", "shared", "sample_random_wikipedia"), "wall_s"] == 3.0
    assert t.loc[("conll", "shared", "TOTAL"), "jobs"] == 2
    assert t.loc[("all", "shared", "build_base_model"), "wall_s"] == 90.0


def test_stage_times_reject_a_file_that_is_not_a_benchmark(tmp_path):
    from xlt.report.times import stage_times

    bad = tmp_path / "b" / "finetune_source" / "cls-de-books-seed1-task.tsv"
    bad.parent.mkdir(parents=True)
    bad.write_text("hello\n")
    with pytest.raises(UserError, match="cls-de-books-seed1-task.tsv: not a Snakemake benchmark file"):
        stage_times(tmp_path / "b")
    with pytest.raises(UserError, match="no benchmark files"):
        stage_times(tmp_path / "empty")


def test_selftrain_table_carries_per_class_recall_and_the_counts_pseudo_classes_compares(tmp_path):
    """A NER chain whose soft student never tags MISC: the table shows the lost class per class (recall 0 of the
    teacher's MISC words) and, on the hard row, the pseudo labels next to the student's own counts."""
    labels = ["O", "B-PER", "B-MISC"]
    eye = np.eye(3)
    teacher_ids = [0] * 60 + [1] * 30 + [2] * 30
    student_ids = [0] * 60 + [1] * 30 + [0] * 30          # MISC words all become O
    teacher = [eye[teacher_ids] * 0.9 + 0.1 / 3]
    student = [eye[student_ids][None] * 0.9 + 0.1 / 3]
    fit = soft_fit("token", teacher, student, labels)
    health = {**fit, "guards": check_soft_classes(fit, 0.5)}
    pseudo_tags = [["O"] * 50 + ["B-PER"] * 2 + [None] * 68]
    counts = pseudo_label_counts("token", pseudo_tags, labels)
    predicted = predicted_counts("token", student, labels)
    pseudo = {"alpha": 0.9, "alpha_rule": "curvature", "target_selected": 1, "target_total": 123457, "source_kept": 5,
              "source_total": 8, "pseudo_by_class": counts, "student_predicted_by_class": predicted,
              "guards": check_pseudo_classes(counts, predicted, 0.5)}
    write_json(tmp_path / "health.json", health)
    write_json(tmp_path / "pseudo.json", pseudo)
    entry = {"task": "conll", "target": "de", "seed": 1, "chain": "task-vm.S1", "variants": ["full"]}
    table = selftrain_table([{**entry, "stage": "round1-soft", "files": {"health": tmp_path / "health.json"}},
                             {**entry, "stage": "round1-hard", "files": {"pseudo": tmp_path / "pseudo.json"}}])
    soft, hard = table.iloc[0], table.iloc[1]
    assert soft["teacher_units.B-MISC"] == 30 and soft["class_agreement.B-MISC"] == 0.0
    assert soft["class_agreement.B-PER"] == 1.0
    assert soft["guards"] == "soft_classes"
    assert (hard["pseudo.PER"], hard["predicted.PER"]) == (2, 30)
    assert (hard["pseudo.O"], hard["predicted.O"]) == (50, 90)
    assert hard["guards"] == "pseudo_classes"
    assert list(table.columns[-2:]) == ["guards", "guard_messages"]
    write_table(table, tmp_path / "selftrain.tsv", float_format="%.4g")  # as the workflow writes it
    back = pd.read_csv(tmp_path / "selftrain.tsv", sep="\t")
    assert back["pseudo_total"].tolist()[1] == 123457  # not 1.235e+05
    assert back["teacher_units.O"].tolist()[0] == 60 and back["pseudo.O"].tolist()[1] == 50


def test_selftrain_table_has_the_btf_row_with_its_heldout_loss(tmp_path):
    write_json(tmp_path / "btf.json", {"texts": 2000, "heldout_texts": 200, "heldout_mlm_loss_before": 8.4,
                                       "heldout_mlm_loss_after": 8.6, "guards": check_btf_heldout(8.4, 8.6)})
    table = selftrain_table([{"task": "cls", "target": "de-books", "seed": 1, "chain": "btf-task", "stage": "btf",
                              "variants": ["full", "no_st"], "files": {"btf": tmp_path / "btf.json"}}])
    row = table.iloc[0]
    assert (row["heldout_mlm_loss_before"], row["heldout_mlm_loss_after"]) == (8.4, 8.6)
    assert row["variants"] == "full no_st" and row["guards"] == "btf_heldout"


def test_selftrain_table_shows_what_the_class_balance_left(tmp_path):
    labels = [0] * 10 + [1] * 2                               # alpha passed ten negative reviews, two positive
    chosen = balance_classes(list(range(12)), labels, np.linspace(0.99, 0.9, 12))
    counts = pseudo_label_counts("sequence", [labels[i] for i in chosen], ["negative", "positive"])
    write_json(tmp_path / "pseudo.json", {
        "alpha": 0.9, "target_selected": len(chosen), "target_selected_before_balance": len(labels),
        "balance": "classes", "target_total": 1000, "source_kept": 290, "source_total": 300,
        "pseudo_by_class": counts, "guards": []})
    table = selftrain_table([{"task": "cls", "target": "de-music", "seed": 2, "chain": "task-vm.S1.H1-auto",
                              "stage": "round1-hard", "variants": ["full"], "files": {"pseudo": tmp_path / "pseudo.json"}}])
    row = table.iloc[0]
    assert (row["pseudo"], row["pseudo_before_balance"], row["balance"]) == (4, 12, "classes")
    assert (row["pseudo.negative"], row["pseudo.positive"]) == (2, 2)


def test_make_tables_names_a_component_without_gain_on_the_terminal(tmp_path, capfd):
    script = _load_script("make_tables")
    paths = [_write(tmp_path, task="cls", target="de-books", variant=v, seed=s, stage="final", score=score)
             for v, scores in (("mbert", [0.70, 0.72, 0.71]), ("no_st", [0.71, 0.71, 0.71]))
             for s, score in enumerate(scores, 1)]
    out = tmp_path / "cls_paired.tsv"
    smk = SimpleNamespace(input=_Named(results=[str(p) for p in paths]),
                          params=_Named(tables={"tsv": {"kind": "paired", "task": "cls"}}), output=_Named(tsv=str(out)))
    script.main(smk)
    assert pd.read_csv(out, sep="\t")["component"].tolist() == ["BTF"] * 3
    lines = [l for l in capfd.readouterr().err.splitlines() if "WARNING" in l]
    assert lines == ["WARNING cls: BTF (no_st − mbert): +0.00 ± 1.00 over 3 seeds: no gain beyond the spread over seeds "
                     "(the paper reports a gain)"]
