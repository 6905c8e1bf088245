# Use what was learned: label the files listed under `predict:` in the config with the final model of a variant
# (the same as `xlt predict`). One job per (task, target, seed, variant, file); re-made when the model changes.


rule predict:
    input:
        model=plan.predict_model,
        data=plan.predict_input,
    output:
        predictions=f"{RESULTS}/predict/{{task}}/{{target}}/seed{{seed}}/{{variant}}/{{name}}.jsonl",
    log:
        "logs/predict/{task}-{target}-seed{seed}-{variant}-{name}.log",
    benchmark:
        f"{RESULTS}/benchmarks/predict/{{task}}-{{target}}-seed{{seed}}-{{variant}}-{{name}}.tsv"
    wildcard_constraints:
        name=r"[A-Za-z0-9_.+-]+",
    conda:
        ENV
    resources:
        gpu=1,
    params:
        code=script_code("predict.py"),
        runtime=RUNTIME,
        max_length=plan.max_length,
    script:
        "../workflow_scripts/predict.py"
