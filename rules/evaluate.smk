# Stage 5: evaluation on the target test set (accuracy for CLS, entity F1 via seqeval for CoNLL) of every
# model a variant trains, stage by stage: fine-tuning, then each self-training step. One job per variant
# loads each of its models in turn, which keeps the number of jobs (and their start-up cost) low.


rule evaluate_variant:
    input:
        models=variant_models,
        health=variant_health,
        test=target_test,
    output:
        scores=f"{RESULTS}/{{task}}/{{target}}/seed{{seed}}/variants/{{variant}}.json",
    log:
        "logs/evaluate_variant/{task}-{target}-seed{seed}-{variant}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate_variant/{{task}}-{{target}}-seed{{seed}}-{{variant}}.tsv"
    conda:
        ENV
    resources:
        gpu=1,
    params:
        code=script_code("evaluate_variant.py"),
        stages=variant_stage_names,
        health_stages=variant_health_stages,
        meta=variant_meta,
        kind=task_kind,
        max_length=max_length,
        runtime=RUNTIME,
    script:
        "../workflow_scripts/evaluate_variant.py"
