# Stage 0: the benchmarks read exactly from their original formats into JSON lines
# (CLS: {"text", "label"}; CoNLL: {"tokens", "tags"} in IOB2), plus results/data_stats.tsv.


rule prepare_cls_split:
    input:
        review=plan.review_input,
    output:
        data=f"{RESULTS}/data/cls/{{lang}}/{{domain}}/{{split}}.jsonl",
        info=f"{RESULTS}/data/cls/{{lang}}/{{domain}}/{{split}}.info.json",
    log:
        "logs/prepare_cls_split/{lang}-{domain}-{split}.log",
    wildcard_constraints:
        split="train|test",
    conda:
        DATA_ENV
    params:
        code=script_code("prepare_cls.py"),
        kind="labelled",
    script:
        "../workflow_scripts/prepare_cls.py"


rule prepare_cls_unlabeled:
    input:
        reviews=plan.unlabeled_pool_input,
        exclude=plan.unlabeled_pool_exclusions,
    output:
        data=f"{RESULTS}/data/cls/{{lang}}/{{domain}}/unlabeled.jsonl",
        info=f"{RESULTS}/data/cls/{{lang}}/{{domain}}/unlabeled.info.json",
    log:
        "logs/prepare_cls_unlabeled/{lang}-{domain}.log",
    conda:
        DATA_ENV
    params:
        code=script_code("prepare_cls.py"),
        kind="unlabeled",
        size=plan.task_cfg("cls")["unlabeled_size"],
        seed=config["data"]["seed"],
        fallback=config["data"]["cls"]["unlabeled_fallback"],
    script:
        "../workflow_scripts/prepare_cls.py"


rule prepare_conll_split:
    input:
        conll=plan.conll_input,
    output:
        data=f"{RESULTS}/data/conll/{{lang}}/{{split}}.jsonl",
        info=f"{RESULTS}/data/conll/{{lang}}/{{split}}.info.json",
    log:
        "logs/prepare_conll_split/{lang}-{split}.log",
    wildcard_constraints:
        split="train|dev|test",
    conda:
        DATA_ENV
    params:
        code=script_code("prepare_conll.py"),
        encoding=plan.conll_encoding,
    script:
        "../workflow_scripts/prepare_conll.py"


rule data_stats:
    input:
        unpack(plan.data_stats_inputs),
    output:
        tsv=f"{RESULTS}/data_stats.tsv",
    log:
        "logs/data_stats.log",
    conda:
        ENV
    params:
        code=script_code("data_stats.py"),
        entries=plan.data_stats_entries(),
        conll_source=config["tasks"]["conll"]["source_language"],
    script:
        "../workflow_scripts/data_stats.py"


rule conll2003_is_licensed:
    output:
        "resources/data/conll2003/{name}",
    log:
        "logs/conll2003_is_licensed/{name}.log",
    wildcard_constraints:
        name="eng\\.(train|testa|testb)|deu\\.(train|testa|testb)",
    conda:
        DATA_ENV
    shell:
        "echo 'error: resources/data/conll2003/{wildcards.name} is missing. CoNLL-2003 cannot be downloaded: "
        "build it from the Reuters RCV1 corpus (https://www.clips.uantwerpen.be/conll2003/ner/) and set "
        "data.conll.files in the config to your copy (docs/datasets.md).' | tee {log} >&2; exit 1"


rule subsample_source_train:
    input:
        data=f"{RESULTS}/data/{{dataset}}/train.jsonl",
    output:
        data=f"{RESULTS}/data/{{dataset}}/train.sample{{size}}.jsonl",
    log:
        "logs/subsample_source_train/{dataset}-{size}.log",
    wildcard_constraints:
        dataset="cls/[a-z]{2,3}(-[A-Za-z0-9]+)?/[a-z0-9_]+|conll/[a-z]{2,3}(-[A-Za-z0-9]+)?",
        size=r"\d+",
    conda:
        DATA_ENV
    params:
        code=script_code("subsample_source_train.py"),
        size="{size}",
        seed=config["data"]["seed"],
    script:
        "../workflow_scripts/subsample_source_train.py"
