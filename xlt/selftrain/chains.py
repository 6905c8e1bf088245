"""The experiment plan: which models a variant trains, named so that variants share identical work.

A variant (``config.yaml: variants``) is a path through the paper's Figure 1: a BTF corpus (task, random or
none), a fine-tuned model, then the self-training steps of its schedule. Two variants whose first steps are
identical (``full`` and ``auto_one_round`` both begin with round-1 soft and round-1 hard at the automatic
threshold) must not train those steps twice, so every self-training model is named by its *chain*: the
sequence of steps that produced it, e.g. ``task-vm.S1.H1-auto.S2``.

Chain grammar (one folder name, no slashes)::

    chain := root ( "." step )*
    root  := btf "-" heads          btf in {task, random, none}; heads in {vm, plain}
    step  := "S" round | "H" round "-" threshold
    threshold := "auto" | "t" number

The functions here are pure; :mod:`xlt.layout` turns chains into paths and wildcard patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xlt.errors import UserError
from xlt.selftrain.schedule import Step, parse_schedule

BTF_KINDS = ("task", "random", "none")
# The grammar's pieces as regular expressions (also the rules' wildcard constraints: xlt.layout).
ROOT_PATTERN = r"(task|random|none)-(vm|plain)"
SOFT_STEP_PATTERN = r"S([0-9]+)"
HARD_STEP_PATTERN = r"H([0-9]+)-(auto|t[0-9]+(?:\.[0-9]+)?)"
ROOT_RE = re.compile(rf"^{ROOT_PATTERN}$")
SOFT_RE = re.compile(rf"^{SOFT_STEP_PATTERN}$")
HARD_RE = re.compile(rf"^{HARD_STEP_PATTERN}$")


@dataclass(frozen=True)
class Chain:
    """A parsed chain: BTF kind, head kind and the steps so far."""

    btf: str
    heads: str
    steps: tuple[Step, ...]

    @property
    def root(self) -> str:
        return f"{self.btf}-{self.heads}"

    @property
    def name(self) -> str:
        return ".".join([self.root] + [s.token for s in self.steps])

    @property
    def last(self) -> Step:
        return self.steps[-1]

    def parent(self) -> "Chain":
        return Chain(self.btf, self.heads, self.steps[:-1])


def format_threshold(value) -> str:
    """The text form of a fixed threshold used in chain names (``0.9`` -> ``0.9``, ``0`` -> ``0.0``)."""
    return repr(float(value))


def parse_chain(name: str) -> Chain:
    """Parse a chain folder name; raise :class:`UserError` when it is malformed."""
    parts = name.split(".")
    # Thresholds contain dots ("H1-t0.99"): glue a numeric fragment back onto the token before it.
    tokens: list[str] = []
    for part in parts:
        if tokens and part.isdigit() and re.search(r"-t\d+$", tokens[-1]):
            tokens[-1] += "." + part
        else:
            tokens.append(part)
    root = ROOT_RE.match(tokens[0])
    if not root:
        raise UserError(f"chain {name!r}: expected it to start with <task|random|none>-<vm|plain>")
    steps = []
    for tok in tokens[1:]:
        if m := SOFT_RE.match(tok):
            steps.append(Step("soft", int(m.group(1))))
        elif m := HARD_RE.match(tok):
            thr = m.group(2)
            steps.append(Step("hard", int(m.group(1)), thr if thr == "auto" else thr[1:]))
        else:
            raise UserError(f"chain {name!r}: step {tok!r} is not S<round> or H<round>-<auto|t<number>>")
    return Chain(root.group(1), root.group(2), tuple(steps))


def variant_chain(variant: dict, task_schedule: str) -> Chain:
    """The chain of a variant's final model (no steps when it does no self-training)."""
    schedule = task_schedule if variant["schedule"] == "default" else variant["schedule"]
    heads = "vm" if variant["voters"] else "plain"
    threshold = "auto" if variant["threshold"] == "auto" else format_threshold(variant["threshold"])
    steps = tuple(
        Step(s.kind, s.round, threshold if s.kind == "hard" else None) for s in parse_schedule(schedule)
    )
    return Chain(variant["btf"], heads, steps)


def chain_prefixes(chain: Chain) -> list[Chain]:
    """Every chain along the way to ``chain``, shortest first (excluding the bare root)."""
    return [Chain(chain.btf, chain.heads, chain.steps[:i]) for i in range(1, len(chain.steps) + 1)]


def previous_threshold_chain(chain: Chain) -> Chain | None:
    """For a soft step about to be thresholded: the latest earlier soft step that was thresholded.

    The source-consistency filter is cumulative ("we permanently remove these samples"): the keep-mask of
    round r starts from the one computed in the last earlier round that had a hard step.
    """
    steps = chain.steps
    for i in range(len(steps) - 2, 0, -1):
        if steps[i].kind == "hard" and steps[i - 1].kind == "soft":
            return Chain(chain.btf, chain.heads, steps[:i])
    return None
