"""What the evaluation, the tables, Figure 2 and the default target read (see :mod:`xlt.workflow`)."""

from __future__ import annotations

from types import SimpleNamespace

import xlt.config as xlt_config
import xlt.layout as layout
from xlt.errors import UserError
from xlt.layout import RESULTS
from xlt.selftrain.chains import chain_prefixes
from xlt.workflow.runs import RunPlan


class Plan(RunPlan):
    """Everything the rules of a validated config read: data, models, evaluation, tables."""

    def variant_scores(self, task, variants):
        return [
            layout.variant_scores(task, target, seed, variant)
            for target in self.targets(task)
            for seed in self.config["seeds"]
            for variant in variants
        ]

    def table_files(self):
        return [
            f"{RESULTS}/tables/{name}.tsv"
            for name in self.config["report"]["tables"]
            if self.task_cfg(xlt_config.PAPER_TABLES[name]["task"])["enabled"]
        ]

    def figure2_inputs(self):
        """Source and target threshold curves and alpha of the configured run (first seed), or {}."""
        fig = self.config["report"]["figure2"]
        if fig is None or not self.task_cfg(fig["task"])["enabled"]:
            return {}
        chain = self.variant_chain_of(fig["task"], fig["variant"])
        hard = next(c for c in chain_prefixes(chain) if c.last.kind == "hard" and c.last.round == fig["round"])
        w = SimpleNamespace(task=fig["task"], target=fig["target"], seed=self.config["seeds"][0])
        soft = hard.parent()
        return {
            "source_curves": self.step_file(w, soft, "curve_source"),
            "target_curves": self.step_file(w, soft, "curve_target"),
            "alphas": self.step_file(w, soft, "alpha"),
        }

    def predict_outputs(self):
        """results/predict/<task>/<target>/seed<k>/<variant>/<name>.jsonl of every file under predict: in the config."""
        return [
            f"{RESULTS}/predict/{job['task']}/{job['target']}/seed{seed}/{variant}/{job['name']}.jsonl"
            for job in xlt_config.predict_jobs(self.config)
            for seed in self.config["seeds"]
            for variant in job["variants"]
        ]

    def all_targets(self):
        files = [f"{RESULTS}/data_stats.tsv"]
        files += [f"{RESULTS}/{task}_avg.tsv" for task in self.enabled_tasks()]
        files += [f"{RESULTS}/{task}_variants.tsv" for task in self.enabled_tasks()]
        files += [f"{RESULTS}/{task}_selftrain.tsv" for task in self.enabled_tasks()]
        files += [f"{RESULTS}/{task}_paired.tsv" for task in self.enabled_tasks()]
        files += self.table_files()
        if self.figure2_inputs():
            files.append(f"{RESULTS}/figures/figure2.png")
        if self.enabled_tasks():
            files.append(f"{RESULTS}/stage_times.tsv")
        files += self.predict_outputs()
        return files

    def selftrain_entries(self, w):
        """Every BTF and self-training step of a task's variants, once per run: the rows of
        results/<task>_selftrain.tsv (a BTF row: stage ``btf``, chain ``btf-<corpus>``)."""
        entries = {}
        for target in self.targets(w.task):
            for seed in self.config["seeds"]:
                run = SimpleNamespace(task=w.task, target=target, seed=seed)
                for variant in self.task_cfg(w.task)["variants"]:
                    chain = self.variant_chain_of(w.task, variant)
                    if chain.btf != "none":
                        btf = entries.setdefault((target, seed, f"btf-{chain.btf}"), {
                            "task": w.task, "target": target, "seed": seed, "chain": f"btf-{chain.btf}",
                            "stage": "btf", "variants": [],
                            "files": {"btf": layout.btf_file(w.task, target, seed, chain.btf, "health.json")}})
                        btf["variants"].append(variant)
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
                        e["files"]["health" if c.last.kind == "soft" else "pseudo"] = self.step_health_file(run, c)
                        if c.last.kind == "soft" and i + 1 < len(chain.steps) and chain.steps[i + 1].kind == "hard":
                            e["files"]["alpha"] = self.step_file(run, c, "alpha")
                            e["files"]["keep"] = self.step_file(run, c, "source_keep")
        return list(entries.values())

    def selftrain_inputs(self, w):
        return sorted({f for e in self.selftrain_entries(w) for f in e["files"].values()})

    def evaluated_stage_models(self, w):
        """The (stage, model) pairs evaluate_<task> reports for a variant: every stage, or the last (report.evaluate)."""
        stages = self.variant_stage_models(w.task, w.target, w.seed, w.variant)
        return stages if self.config["report"]["evaluate"] == "all" else stages[-1:]

    def variant_models(self, w):
        return [model for _, model in self.evaluated_stage_models(w)]

    def variant_stage_names(self, w):
        return [stage for stage, _ in self.evaluated_stage_models(w)]

    def variant_meta(self, w):
        lang, domain = xlt_config.split_target(w.task, w.target)
        return {
            "task": w.task,
            "target": w.target,
            "lang": lang,
            "domain": domain,
            "variant": w.variant,
            "seed": int(w.seed),
            "chain": self.variant_chain_of(w.task, w.variant).name,
        }

    def variant_wildcards(self, w, variant):
        return SimpleNamespace(task=w.task, target=w.target, seed=w.seed, variant=variant)

    def run_evaluation(self, w):
        """params.variants of evaluate_<task>: per variant its meta, the stages it reports with their models, and its
        self-training health records; the job scores each distinct model once."""
        out = []
        for variant in self.task_cfg(w.task)["variants"]:
            v = self.variant_wildcards(w, variant)
            out.append(
                {
                    "meta": self.variant_meta(v),
                    "stages": self.variant_stage_names(v),
                    "models": self.variant_models(v),
                    "health_stages": self.variant_health_stages(v),
                    "health": self.variant_health(v),
                }
            )
        return out

    def run_models(self, w):
        """Every model the variants of a (task, target, seed) report, once each, in first-use order."""
        return list(dict.fromkeys(m for v in self.run_evaluation(w) for m in v["models"]))

    def run_health(self, w):
        return list(dict.fromkeys(h for v in self.run_evaluation(w) for h in v["health"]))

    def predict_model(self, w):
        """The variant's final model: the last student of its chain, or the fine-tuned model without self-training."""
        return self.variant_stage_models(w.task, w.target, w.seed, w.variant)[-1][1]

    def predict_input(self, w):
        """The configured file behind results/predict/<task>/<target>/.../<name>.jsonl."""
        for job in xlt_config.predict_jobs(self.config):
            if (job["task"], job["target"], job["name"]) == (w.task, w.target, w.name) and w.variant in job["variants"]:
                return job["path"]
        raise UserError(f"config: predict.{w.task}.{w.target} lists no file named {w.name} for variant {w.variant}")

    def average_table_inputs(self, w):
        return self.variant_scores(w.task, self.config["report"]["main_variants"])

    def average_table_spec(self, w):
        """{output name: table spec} for workflow_scripts/make_tables.py."""
        return {"tsv": {"kind": "summary", "task": w.task, "variants": self.config["report"]["main_variants"]}}

    def all_variants_inputs(self, w):
        return self.variant_scores(w.task, self.task_cfg(w.task)["variants"])

    def all_task_scores(self, w):
        """Every variant score of every enabled task (what a complete run produces)."""
        return [f for task in self.enabled_tasks() for f in self.variant_scores(task, self.task_cfg(task)["variants"])]

    def all_variants_spec(self, w):
        return {"tsv": {"kind": "summary", "task": w.task, "variants": self.task_cfg(w.task)["variants"]}}

    def paired_spec(self, w):
        return {"tsv": {"kind": "paired", "task": w.task, "variant": "full"}}

    def paper_table_inputs(self, w):
        spec = xlt_config.PAPER_TABLES[w.table]
        return self.variant_scores(spec["task"], xlt_config.table_variants(spec))

    def paper_table_spec(self, w):
        return {"tsv": xlt_config.PAPER_TABLES[w.table]}

    def figure2_title(self):
        fig = self.config["report"]["figure2"]
        if fig is None:
            return ""
        return f"{fig['task']} {fig['target']}, variant {fig['variant']}, round {fig['round']}, seed {self.config['seeds'][0]}"

    def figure2_files(self, w):
        return self.figure2_inputs()
