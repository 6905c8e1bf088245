# Stage 2b: Bilingual Task Fitting: continued MLM on the balanced corpus, embeddings and the bottom
# layers frozen (Sections 3.1 and 4.2).


rule bilingual_task_fitting:
    input:
        base=plan.base_model(),
        corpus=layout.btf_file(*layout.RUN, "{corpus}", "balanced.jsonl"),
        heldout=layout.btf_file(*layout.RUN, "{corpus}", "heldout.jsonl"),
    output:
        model=directory(layout.btf_file(*layout.RUN, "{corpus}", "model")),
        health=layout.btf_file(*layout.RUN, "{corpus}", "health.json"),
    log:
        "logs/bilingual_task_fitting/{task}-{target}-seed{seed}-{corpus}.log",
    benchmark:
        f"{RESULTS}/benchmarks/bilingual_task_fitting/{{task}}-{{target}}-seed{{seed}}-{{corpus}}.tsv"
    conda:
        ENV
    resources:
        gpu=1,
    params:
        code=script_code("bilingual_task_fitting.py"),
        hp=plan.btf_hp,
        runtime=RUNTIME,
        guards=config["self_training"]["guards"],
        seed=plan.seed_of,
        checkpoints=layout.btf_file(*layout.RUN, "{corpus}", "checkpoints"),
    script:
        "../workflow_scripts/bilingual_task_fitting.py"
