"""What the workflow runs, derived from the validated config: the files each rule reads and the parameters it
gets (``rules/common.smk`` builds one :class:`Plan` from ``config`` and the rules use its methods as input
functions and params). Paths come from :mod:`xlt.layout`, models are named by the chains of
:mod:`xlt.selftrain.chains`.

- :mod:`xlt.workflow.data`: benchmark files, task corpora, data statistics, the base model's vocabulary
  sources, synthetic data and hub snapshots;
- :mod:`xlt.workflow.runs`: the models of a (task, target, seed) and the training settings of each stage;
- :mod:`xlt.workflow.tables`: what the evaluation, the tables, the figure and the default target read.

A method taking ``w`` is an input function or params function of a rule (``w`` has the rule's wildcards).
"""

from xlt.workflow.tables import Plan

__all__ = ["Plan"]
