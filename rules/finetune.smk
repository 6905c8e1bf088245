# Stage 3: fine-tune the BTF model (or the base model, btf-none) on the English labels.


rule finetune_source:
    input:
        base=plan.btf_model_input,
        train=plan.source_train,
        dev=plan.source_dev,
    output:
        model=directory(layout.finetune_file(*layout.RUN, "{btf}", "model")),
    log:
        "logs/finetune_source/{task}-{target}-seed{seed}-{btf}.log",
    benchmark:
        f"{RESULTS}/benchmarks/finetune_source/{{task}}-{{target}}-seed{{seed}}-{{btf}}.tsv"
    conda:
        ENV
    resources:
        gpu=1,
    params:
        code=script_code("finetune_source.py"),
        kind=plan.task_kind,
        hp=plan.finetune_hp,
        runtime=RUNTIME,
        seed=plan.seed_of,
        checkpoints=layout.finetune_file(*layout.RUN, "{btf}", "checkpoints"),
    script:
        "../workflow_scripts/finetune_source.py"
