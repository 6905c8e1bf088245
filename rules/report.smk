# Stage 6: the paper's tables (3-9), the averages per task, Figure 2, and `snakemake --report`.


localrules:
    average_table,
    variants_table,
    paired_table,
    paper_table,
    figure2,
    stage_times,
    selftrain_table,


rule average_table:
    input:
        results=plan.average_table_inputs,
    output:
        tsv=report(f"{RESULTS}/{{task}}_avg.tsv", category="Averages", labels={"task": "{task}"}),
    log:
        "logs/average_table/{task}.log",
    conda:
        DATA_ENV
    params:
        code=script_code("make_tables.py"),
        tables=plan.average_table_spec,
    script:
        "../workflow_scripts/make_tables.py"


rule variants_table:
    input:
        results=plan.all_variants_inputs,
    output:
        tsv=report(
            f"{RESULTS}/{{task}}_variants.tsv", category="Averages", labels={"task": "{task}", "table": "all variants"}
        ),
    log:
        "logs/variants_table/{task}.log",
    conda:
        DATA_ENV
    params:
        code=script_code("make_tables.py"),
        tables=plan.all_variants_spec,
    script:
        "../workflow_scripts/make_tables.py"


rule paired_table:
    input:
        results=plan.all_variants_inputs,
    output:
        tsv=report(
            f"{RESULTS}/{{task}}_paired.tsv",
            category="Averages",
            labels={"task": "{task}", "table": "paired differences per component"},
        ),
    log:
        "logs/paired_table/{task}.log",
    conda:
        DATA_ENV
    params:
        code=script_code("make_tables.py"),
        tables=plan.paired_spec,
    script:
        "../workflow_scripts/make_tables.py"


rule paper_table:
    input:
        results=plan.paper_table_inputs,
    output:
        tsv=report(f"{RESULTS}/tables/{{table}}.tsv", category="Paper tables", labels={"table": "{table}"}),
    log:
        "logs/paper_table/{table}.log",
    wildcard_constraints:
        table="table[3-9]",
    conda:
        DATA_ENV
    params:
        code=script_code("make_tables.py"),
        tables=plan.paper_table_spec,
    script:
        "../workflow_scripts/make_tables.py"


rule figure2:
    input:
        unpack(plan.figure2_files),
    output:
        png=report(f"{RESULTS}/figures/figure2.png", category="Figure 2"),
    log:
        "logs/figure2.log",
    conda:
        DATA_ENV
    params:
        code=script_code("figure2.py"),
        title=plan.figure2_title(),
        source_label="source: English training data",
        target_label="target: test set (analysis only)",
    script:
        "../workflow_scripts/figure2.py"


rule stage_times:
    input:
        results=plan.all_task_scores,
    output:
        tsv=report(f"{RESULTS}/stage_times.tsv", category="Averages", labels={"table": "wall times"}),
    log:
        "logs/stage_times.log",
    conda:
        DATA_ENV
    params:
        code=script_code("stage_times.py"),
        bench_dir=f"{RESULTS}/benchmarks",
    script:
        "../workflow_scripts/stage_times.py"


rule selftrain_table:
    input:
        records=plan.selftrain_inputs,
    output:
        tsv=report(
            f"{RESULTS}/{{task}}_selftrain.tsv",
            category="Self-training health",
            labels={"task": "{task}", "table": "one row per step"},
        ),
    log:
        "logs/selftrain_table/{task}.log",
    conda:
        DATA_ENV
    params:
        code=script_code("selftrain_table.py"),
        entries=plan.selftrain_entries,
    script:
        "../workflow_scripts/selftrain_table.py"
