"""Self-training schedules (paper Section 5.3): which soft and hard steps run, in which rounds.

A *schedule* such as ``"SHS"`` lists the self-training steps: each ``S`` starts a new round with a soft-label
step (student trained on the teacher's probabilities with an MSE loss, Eq. 1), an ``H`` right after it is that
round's hard-label step (cross-entropy on consistent source samples plus selected target pseudo labels, Eq. 2).
The paper uses ``SHS`` for CoNLL (N = 1.5) and ``SHSH`` for CLS (N = 2); Table 7 uses ``SSS`` and Table 9
``SHSHS``. A *stage* names a model: ``"finetune"`` (the Base Model fine-tuned on the source language) or a
step's :attr:`Step.stage` such as ``"round2-soft"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from xlt.errors import UserError


@dataclass(frozen=True)
class Step:
    """One self-training step: the labels it trains on, its round (from 1) and, for a hard step in a chain
    (:mod:`xlt.selftrain.chains`), its threshold: ``"auto"`` or the fixed value as text."""

    kind: Literal["soft", "hard"]
    round: int
    threshold: str | None = None

    @property
    def stage(self) -> str:
        """Stage name of the model the step produces, used in results and tables, e.g. ``round2-soft``."""
        return f"round{self.round}-{self.kind}"

    @property
    def token(self) -> str:
        """The step in a chain name: ``S2``, ``H1-auto``, ``H1-t0.99``."""
        if self.kind == "soft":
            return f"S{self.round}"
        return f"H{self.round}-{self.threshold if self.threshold == 'auto' else 't' + str(self.threshold)}"


def parse_schedule(schedule: str) -> list[Step]:
    """Parse a schedule string of ``S``/``H`` letters into steps.

    Letters are case-insensitive; ``-``, ``_`` and whitespace between them are ignored. Each ``S``
    starts a new round; an ``H`` must directly follow the ``S`` of its round. ``""`` means no
    self-training. Examples: ``"SHS"`` -> round1-soft, round1-hard, round2-soft; ``"SSS"`` -> three
    soft-only rounds.
    """
    if not isinstance(schedule, str):
        raise UserError(f"self-training schedule {schedule!r}: expected a string of S/H letters such as 'SHS'")
    letters = re.sub(r"[\s\-_]+", "", schedule).upper()
    expected = (
        "expected letters S (soft step, starts a round) and H (hard step, directly after its round's S), "
        "e.g. 'SHS', 'SSS' or ''"
    )
    steps: list[Step] = []
    for pos, letter in enumerate(letters):
        if letter == "S":
            steps.append(Step("soft", len([s for s in steps if s.kind == "soft"]) + 1))
        elif letter == "H":
            if not steps or steps[-1].kind != "soft":
                where = "at the start" if not steps else f"after {steps[-1].stage}"
                raise UserError(
                    f"self-training schedule {schedule!r}: 'H' at letter {pos + 1} comes {where}; {expected}"
                )
            steps.append(Step("hard", steps[-1].round))
        else:
            raise UserError(f"self-training schedule {schedule!r}: unknown letter {letter!r}; {expected}")
    return steps
