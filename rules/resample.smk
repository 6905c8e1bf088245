# Stage 2a: mix source and target unlabeled text for BTF, resampled so both languages are balanced.


rule balance_languages:
    input:
        source=source_train,
        target=btf_target_corpus,
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
        heldout=btf_heldout,
        source_language=source_language,
        target_language=target_language,
        seed=seed_of,
    script:
        "../workflow_scripts/balance_languages.py"
