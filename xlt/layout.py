"""Where the workflow writes a (task, target, seed) run, and the chain grammar as wildcard patterns: defined once,
used by the rules (``rules/common.smk``, ``rules/self_training.smk``) and by the tests.

::

    results/<task>/<target>/seed<k>/            run_dir
        btf-<corpus>/{balanced.jsonl, heldout.jsonl, model/, health.json}
        ft-<btf>/model/                         (ft-none: under the source's target, shared by all targets)
        st/<chain>/                             chain_dir: model/, checkpoints/, health.json (soft),
                                                pseudo_labels.json (hard), threshold/ (soft steps that are
                                                thresholded: alpha.json, curve_source.tsv, curve_target.tsv,
                                                source_keep.json)
        variants/<variant>.json

Every function takes plain values; given the wildcards (:data:`RUN` and ``"{chain}"``, ...) it returns a rule's
pattern.
"""

from __future__ import annotations

from xlt.selftrain.chains import HARD_STEP_PATTERN, ROOT_PATTERN, SOFT_STEP_PATTERN

RESULTS = "results"
RUN = ("{task}", "{target}", "{seed}")  # the run wildcards: layout.btf_file(*RUN, "{corpus}", "model") is a pattern

# Wildcard constraints of the self-training rules: a chain that ends in a soft or in a hard step.
_STEP = rf"(?:\.(?:{SOFT_STEP_PATTERN}|{HARD_STEP_PATTERN}))"
SOFT_CHAIN = rf"{ROOT_PATTERN}{_STEP}*\.{SOFT_STEP_PATTERN}"
HARD_CHAIN = rf"{ROOT_PATTERN}{_STEP}*\.{HARD_STEP_PATTERN}"

# The files of a self-training step, relative to its chain_dir.
STEP_FILES = {
    "model": "model",
    "checkpoints": "checkpoints",
    "health": "health.json",
    "pseudo_labels": "pseudo_labels.json",
    "alpha": "threshold/alpha.json",
    "curve_source": "threshold/curve_source.tsv",
    "curve_target": "threshold/curve_target.tsv",
    "source_keep": "threshold/source_keep.json",
}


def run_dir(task, target, seed, results: str = RESULTS) -> str:
    """``results/<task>/<target>/seed<seed>``: every model of one (task, target, seed)."""
    return f"{results}/{task}/{target}/seed{seed}"


def chain_dir(task, target, seed, chain, results: str = RESULTS) -> str:
    """``<run_dir>/st/<chain>``: one self-training step's folder (``chain``: its name)."""
    return f"{run_dir(task, target, seed, results)}/st/{chain}"


def step_file(task, target, seed, chain, what: str, results: str = RESULTS) -> str:
    """A file of a self-training step: one of :data:`STEP_FILES`."""
    try:
        rel = STEP_FILES[what]
    except KeyError:
        raise ValueError(f"step file {what!r}: expected one of {', '.join(STEP_FILES)}") from None
    return f"{chain_dir(task, target, seed, chain, results)}/{rel}"


def step_pattern(what: str, results: str = RESULTS) -> str:
    """:func:`step_file` with the wildcards ``{task}``, ``{target}``, ``{seed}``, ``{chain}``: a rule's pattern."""
    return step_file(*RUN, "{chain}", what, results)


def btf_file(task, target, seed, corpus, name: str, results: str = RESULTS) -> str:
    """``<run_dir>/btf-<corpus>/<name>``: balanced.jsonl, heldout.jsonl, model, health.json, checkpoints."""
    return f"{run_dir(task, target, seed, results)}/btf-{corpus}/{name}"


def finetune_file(task, target, seed, btf, name: str, results: str = RESULTS) -> str:
    """``<run_dir>/ft-<btf>/<name>``: model, checkpoints (for btf none ``target`` is the source's)."""
    return f"{run_dir(task, target, seed, results)}/ft-{btf}/{name}"


def variant_scores(task, target, seed, variant, results: str = RESULTS) -> str:
    """``<run_dir>/variants/<variant>.json``: a variant's test scores, stage by stage."""
    return f"{run_dir(task, target, seed, results)}/variants/{variant}.json"

