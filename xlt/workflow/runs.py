"""The models of a (task, target, seed) and the settings of each training stage (see :mod:`xlt.workflow`)."""

from __future__ import annotations

from types import SimpleNamespace

import xlt.config as xlt_config
import xlt.layout as layout
from xlt.layout import RESULTS
from xlt.selftrain.chains import Chain, chain_prefixes, parse_chain, previous_threshold_chain, variant_chain
from xlt.tasks import TASK_KIND
from xlt.workflow.data import DataPlan


class RunPlan(DataPlan):
    """Models and training settings of a validated config."""

    def run_dir(self, w):
        """results/<task>/<target>/seed<seed>: every model of one (task, target, seed)."""
        return layout.run_dir(w.task, w.target, w.seed)

    def base_model(self):
        """The multilingual encoder every run starts from."""
        m = self.config["model"]
        if m["source"] == "hub" and m["layers"] is None and not m["trim_vocab"]:
            return self.hub_snapshot_dir()
        return f"{RESULTS}/models/base"

    def btf_model(self, task, target, seed, btf):
        if btf == "none":
            return self.base_model()
        return layout.btf_file(task, target, seed, btf, "model")

    def chain_dir(self, w, chain):
        return layout.chain_dir(w.task, w.target, w.seed, chain.name)

    def step_file(self, w, chain, what):
        """A file of a self-training step (xlt.layout.STEP_FILES: model, health, alpha, source_keep, ...)."""
        return layout.step_file(w.task, w.target, w.seed, chain.name, what)

    def finetune_model(self, w, btf):
        """results/<task>/<target>/seed<k>/ft-<btf>/model. Fine-tuning the plain base model (btf-none) reads only the
        English data, so it runs once per source domain and seed, shared by every target: its <target> is the
        source's (``en-books`` for CLS, ``en`` for CoNLL)."""
        target = w.target
        if btf == "none":
            _, domain = xlt_config.split_target(w.task, w.target)
            source = self.task_cfg(w.task)["source_language"]
            target = source if domain is None else f"{source}-{domain}"
        return layout.finetune_file(w.task, target, w.seed, btf, "model")

    def model_of_chain(self, w, chain):
        """The model a chain ends in: the fine-tuned model for a bare root, else the chain's last student."""
        if not chain.steps:
            return self.finetune_model(w, chain.btf)
        return self.step_file(w, chain, "model")

    def variant_chain_of(self, task, variant):
        return variant_chain(self.config["variants"][variant], self.task_cfg(task)["self_training"]["schedule"])

    def voter_heads(self, chain):
        """Number of heads a self-training student gets: M voters, or one plain head (-VM)."""
        return self.config["self_training"]["voters"]["count"] if chain.heads == "vm" else 1

    def training_hp(self, task, stage):
        """Hyper-parameters of one training stage, plus the settings every stage shares."""
        t = self.task_cfg(task)
        hp = dict(t[stage]) if stage in ("btf", "finetune") else dict(t["self_training"][stage])
        for key in ("balance", "heldout_texts"):  # settings of the step around training (hard_balance, btf_heldout)
            hp.pop(key, None)
        hp["max_length"] = t["max_length"]
        hp["precision"] = self.config["training"]["precision"]  # changes results: in params (the run-time knobs: RUNTIME)
        return hp

    def seed_of(self, w):
        return int(w.seed)

    def task_kind(self, w):
        """sequence (CLS) or token (CoNLL) classification."""
        return TASK_KIND[w.task]

    def max_length(self, w):
        return self.task_cfg(w.task)["max_length"]

    def btf_hp(self, w):
        return self.training_hp(w.task, "btf")

    def btf_heldout(self, w):
        return self.task_cfg(w.task)["btf"]["heldout_texts"]

    def finetune_hp(self, w):
        return self.training_hp(w.task, "finetune")

    def soft_hp(self, w):
        return self.training_hp(w.task, "soft")

    def hard_hp(self, w):
        return self.training_hp(w.task, "hard")

    def hard_balance(self, w):
        return self.task_cfg(w.task)["self_training"]["hard"]["balance"]

    def btf_model_input(self, w):
        return self.btf_model(w.task, w.target, w.seed, w.btf)

    def teacher_model(self, w):
        """Round 1: the source-fine-tuned model; later rounds: the previous round's last student."""
        return self.model_of_chain(w, parse_chain(w.chain).parent())

    def student_init_model(self, w):
        """Every round's student is restored from the BTF model (Section 3.2)."""
        return self.btf_model(w.task, w.target, w.seed, parse_chain(w.chain).btf)

    def chain_voters(self, w):
        return self.voter_heads(parse_chain(w.chain))

    def previous_source_keep(self, w):
        """The English keep-mask of the last earlier round that chose a threshold (none in round 1)."""
        prev = previous_threshold_chain(parse_chain(w.chain))
        return [] if prev is None else self.step_file(w, prev, "source_keep")

    def hard_step_inputs(self, w):
        soft = parse_chain(w.chain).parent()
        return {
            "student": self.step_file(w, soft, "model"),
            "alpha": self.step_file(w, soft, "alpha"),
            "keep": self.step_file(w, soft, "source_keep"),
        }

    def fixed_threshold(self, w):
        """The fixed threshold of a hard step (-AT, Table 8), or None for the automatic one."""
        thr = parse_chain(w.chain).last.threshold
        return None if thr == "auto" else float(thr)

    def step_health_file(self, w, chain):
        """The health record of a self-training step: health.json (soft) or pseudo_labels.json (hard)."""
        return self.step_file(w, chain, "health" if chain.last.kind == "soft" else "pseudo_labels")

    def variant_health(self, w):
        """Health records of a variant's BTF (when it has one) and of every self-training step, in training order."""
        chain = self.variant_chain_of(w.task, w.variant)
        btf = [layout.btf_file(w.task, w.target, w.seed, chain.btf, "health.json")] if chain.btf != "none" else []
        return btf + [self.step_health_file(w, c) for c in chain_prefixes(chain)]

    def variant_health_stages(self, w):
        chain = self.variant_chain_of(w.task, w.variant)
        return (["btf"] if chain.btf != "none" else []) + [c.last.stage for c in chain_prefixes(chain)]

    def variant_stage_models(self, task, target, seed, variant):
        """(stage, model folder) pairs of a variant: fine-tuning, then every self-training step."""
        w = SimpleNamespace(task=task, target=target, seed=seed)
        chain = self.variant_chain_of(task, variant)
        stages = [("finetune", self.model_of_chain(w, Chain(chain.btf, chain.heads, ())))]
        stages += [(c.last.stage, self.model_of_chain(w, c)) for c in chain_prefixes(chain)]
        return stages
