# Stage 5: evaluation on the target test set (accuracy for CLS, entity F1 via seqeval for CoNLL), and the
# scores of each variant collected stage by stage.


localrules:
    collect_variant_scores,


rule evaluate_model:
    input:
        model=f"{RESULTS}/{{task}}/{{target}}/seed{{seed}}/{{stage_dir}}/model",
        test=target_test,
    output:
        scores=f"{RESULTS}/{{task}}/{{target}}/seed{{seed}}/{{stage_dir}}/eval.json",
    wildcard_constraints:
        stage_dir=r"ft-(task|random|none)|st/[^/]+",
    params:
        kind=task_kind,
        max_length=max_length,
        inference_batch_size=config["self_training"]["inference_batch_size"],
    resources:
        gpu=1,
    log:
        "logs/evaluate_model/{task}-{target}-seed{seed}-{stage_dir}.log",
    conda:
        ENV
    script:
        "../workflow_scripts/evaluate_model.py"


rule collect_variant_scores:
    input:
        evals=variant_eval_files,
    output:
        scores=f"{RESULTS}/{{task}}/{{target}}/seed{{seed}}/variants/{{variant}}.json",
    params:
        stages=variant_stage_names,
        meta=variant_meta,
    log:
        "logs/collect_variant_scores/{task}-{target}-seed{seed}-{variant}.log",
    conda:
        ENV
    script:
        "../workflow_scripts/collect_variant_scores.py"
