# Stage 5: evaluation on the target test set (accuracy for CLS, entity F1 via seqeval for CoNLL) of every
# model each variant trains, stage by stage: fine-tuning, then each self-training step. One job per
# (task, target, seed) scores every distinct model of all variants once (variants share their first steps)
# and writes each variant's scores file; that keeps the number of jobs, and their start-up cost, low.

for _task in ("cls", "conll"):

    rule:
        name:
            f"evaluate_{_task}"
        input:
            models=plan.run_models,
            health=plan.run_health,
            test=plan.target_test,
        output:
            scores=[layout.variant_scores(*layout.RUN, v) for v in plan.task_cfg(_task)["variants"]],
        log:
            f"logs/evaluate_{_task}/{{task}}-{{target}}-seed{{seed}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/evaluate_{_task}/{{task}}-{{target}}-seed{{seed}}.tsv"
        wildcard_constraints:
            task=_task,
        conda:
            ENV
        resources:
            gpu=1,
        params:
            code=script_code("evaluate_run.py"),
            variants=plan.run_evaluation,
            kind=plan.task_kind,
            max_length=plan.max_length,
            runtime=RUNTIME,
        script:
            "../workflow_scripts/evaluate_run.py"
