# Stage 2a: mix source and target unlabeled text for BTF, resampled so both languages are balanced.


rule balance_languages:
    input:
        source=plan.source_train,
        target=plan.btf_target_corpus,
    output:
        corpus=layout.btf_file(*layout.RUN, "{corpus}", "balanced.jsonl"),
        heldout=layout.btf_file(*layout.RUN, "{corpus}", "heldout.jsonl"),
    log:
        "logs/balance_languages/{task}-{target}-seed{seed}-{corpus}.log",
    benchmark:
        f"{RESULTS}/benchmarks/balance_languages/{{task}}-{{target}}-seed{{seed}}-{{corpus}}.tsv"
    conda:
        ENV
    params:
        code=script_code("balance_languages.py"),
        mode=config["resample"]["mode"],
        heldout=plan.btf_heldout,
        source_language=plan.source_language,
        target_language=plan.target_language,
        seed=plan.seed_of,
    script:
        "../workflow_scripts/balance_languages.py"
