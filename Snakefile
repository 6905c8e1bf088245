# Zero-shot cross-lingual transfer without parallel corpus: Bilingual Task Fitting + self-training.
# Stages follow the paper's Figure 1; each lives in its own rules/*.smk file.
from snakemake.utils import min_version

min_version("9.0")

from xlt.config_files import check_yaml_or_exit
from xlt.runtime import put_first_on_pythonpath

check_yaml_or_exit("config.yaml")  # a syntax error as file:line:column (Snakemake's message has neither)

# Jobs import the workflow's package `xlt` from this checkout: its folder goes first on PYTHONPATH, which every
# job inherits (local, SLURM, --sdm conda or apptainer), so no job environment needs the package installed.
put_first_on_pythonpath(workflow.basedir)


configfile: "config.yaml"


# With --sdm apptainer every job runs in this image, built from envs/xlt.def (docs/cluster.md); otherwise unused.
container: "resources/containers/xlt.sif"


report: "docs/report/workflow.rst"


include: "rules/common.smk"
include: "rules/demo_data.smk"
include: "rules/download.smk"
include: "rules/data.smk"
include: "rules/model.smk"
include: "rules/task_corpus.smk"
include: "rules/resample.smk"
include: "rules/btf.smk"
include: "rules/finetune.smk"
include: "rules/self_training.smk"
include: "rules/evaluate.smk"
include: "rules/predict.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        plan.all_targets(),


onerror:
    print_failure_summary(log)
