# Glue shared by the rules: config validation, wildcard constraints, the job environments and run-time settings,
# and `plan` (xlt.workflow.Plan): the files each job reads and the parameters it gets, derived from the config.
import re
import sys
from pathlib import Path

import xlt.config as xlt_config
import xlt.layout as layout
from xlt.errors import UserError
from xlt.failures import print_summary as print_failure_summary
from xlt.runtime import RuntimeSettings
from xlt.wiki.mapping import api_runtime
from xlt.workflow import Plan

try:
    xlt_config.validate(config)
except UserError as err:
    sys.stderr.write(f"error: {err}\n")
    sys.exit(1)

RESULTS = layout.RESULTS
plan = Plan(config)
# params.runtime of the training and inference jobs: how they run, not what they write (not a rerun trigger)
RUNTIME = RuntimeSettings(
    inference_batch_size=config["self_training"]["inference_batch_size"],
    checkpoint_every=config["self_training"]["checkpoint_every"],
    gradient_accumulation_steps=config["training"]["gradient_accumulation_steps"],
    log_to=config["training"]["log_to"],
)
# params.runtime of the Wikipedia jobs: the API's contact, rate limit and cache, the progress interval
WIKI_RUNTIME = RuntimeSettings(
    api=api_runtime(config["wikipedia"]),
    progress_seconds=config["wikipedia"]["progress_seconds"],
)
ENV = "../envs/xlt.yaml"  # jobs that train, predict or tokenise
DATA_ENV = "../envs/data.yaml"  # data, corpus and table jobs: no torch, no transformers


wildcard_constraints:
    task="cls|conll",
    lang="[a-z]{2,3}(-[A-Za-z0-9]+)?",
    domain="[a-z0-9_]+",
    target="[a-z]{2,3}(-[A-Za-z0-9]+)?(-[a-z0-9_]+)?",
    seed=r"\d+",
    corpus="task|random",
    btf="task|random|none",
    split="train|dev|test|unlabeled",
    variant="|".join(sorted(re.escape(v) for v in config["variants"])),


def script_code(name):
    """params.code: a digest of workflow_scripts/<name> and the xlt modules it imports (xlt.codedigest), so
    editing that code re-runs the rule's jobs."""
    from xlt.codedigest import code_digest

    return code_digest(Path(workflow.basedir) / "workflow_scripts" / name)
