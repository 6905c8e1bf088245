# Stage 4: self-training rounds (Section 3.2). A model is named by its chain (xlt/selftrain/chains.py), e.g.
# st/task-vm.S1.H1-auto.S2: round-1 soft student, round-1 hard student at the automatic threshold, round-2
# soft student. Variants that share a prefix share its models.
#   soft step:  the teacher (fine-tuned model in round 1, the previous round's last student later) labels the
#               target corpus softly; a student restored from the BTF model learns them (MSE, or KL: soft.loss).
#   threshold:  the soft student on the English training data gives accuracy and recall against the
#               threshold; alpha is where accuracy bends most; mispredicted English samples are dropped.
#   hard step:  the Voters Module keeps target samples where all voters agree above alpha; the soft student
#               is trained again with cross-entropy on them plus the English samples still kept.


rule soft_label_step:
    input:
        teacher=plan.teacher_model,
        student_init=plan.student_init_model,
        corpus=plan.task_corpus,
    output:
        model=directory(layout.step_pattern("model")),
        health=layout.step_pattern("health"),
    log:
        "logs/soft_label_step/{task}-{target}-seed{seed}-{chain}.log",
    benchmark:
        f"{RESULTS}/benchmarks/soft_label_step/{{task}}-{{target}}-seed{{seed}}-{{chain}}.tsv"
    wildcard_constraints:
        chain=layout.SOFT_CHAIN,
    conda:
        ENV
    resources:
        gpu=1,
    params:
        code=script_code("soft_label_step.py"),
        kind=plan.task_kind,
        hp=plan.soft_hp,
        n_voters=plan.chain_voters,
        voter_offsets=config["self_training"]["voters"]["size_offsets"],
        runtime=RUNTIME,
        guards=config["self_training"]["guards"],
        class_keep_ratio=config["self_training"]["class_keep_ratio"],
        seed=plan.seed_of,
        checkpoints=layout.step_pattern("checkpoints"),
    script:
        "../workflow_scripts/soft_label_step.py"


rule select_threshold:
    input:
        student=layout.step_pattern("model"),
        teacher=plan.teacher_model,
        source=plan.source_train,
        previous_keep=plan.previous_source_keep,
    output:
        alpha=layout.step_pattern("alpha"),
        curve=layout.step_pattern("curve_source"),
        keep=layout.step_pattern("source_keep"),
    log:
        "logs/select_threshold/{task}-{target}-seed{seed}-{chain}.log",
    benchmark:
        f"{RESULTS}/benchmarks/select_threshold/{{task}}-{{target}}-seed{{seed}}-{{chain}}.tsv"
    wildcard_constraints:
        chain=layout.SOFT_CHAIN,
    conda:
        ENV
    resources:
        gpu=1,
    params:
        code=script_code("select_threshold.py"),
        kind=plan.task_kind,
        thresholds=config["self_training"]["thresholds"],
        curvature=config["self_training"]["curvature"],
        min_support=config["self_training"]["min_support"],
        fallback_threshold=config["self_training"]["fallback_threshold"],
        ner_selection=config["self_training"]["ner_selection"],
        ner_curve=config["self_training"]["ner_curve"],
        guards=config["self_training"]["guards"],
        class_keep_ratio=config["self_training"]["class_keep_ratio"],
        max_length=plan.max_length,
        runtime=RUNTIME,
    script:
        "../workflow_scripts/select_threshold.py"


rule target_threshold_curve:
    input:
        student=layout.step_pattern("model"),
        test=plan.target_test,
    output:
        curve=layout.step_pattern("curve_target"),
    log:
        "logs/target_threshold_curve/{task}-{target}-seed{seed}-{chain}.log",
    benchmark:
        f"{RESULTS}/benchmarks/target_threshold_curve/{{task}}-{{target}}-seed{{seed}}-{{chain}}.tsv"
    wildcard_constraints:
        chain=layout.SOFT_CHAIN,
    conda:
        ENV
    resources:
        gpu=1,
    params:
        code=script_code("target_threshold_curve.py"),
        kind=plan.task_kind,
        thresholds=config["self_training"]["thresholds"],
        ner_selection=config["self_training"]["ner_selection"],
        ner_curve=config["self_training"]["ner_curve"],
        max_length=plan.max_length,
        runtime=RUNTIME,
    script:
        "../workflow_scripts/target_threshold_curve.py"


rule hard_label_step:
    input:
        unpack(plan.hard_step_inputs),
        source=plan.source_train,
        corpus=plan.task_corpus,
    output:
        model=directory(layout.step_pattern("model")),
        pseudo=layout.step_pattern("pseudo_labels"),
    log:
        "logs/hard_label_step/{task}-{target}-seed{seed}-{chain}.log",
    benchmark:
        f"{RESULTS}/benchmarks/hard_label_step/{{task}}-{{target}}-seed{{seed}}-{{chain}}.tsv"
    wildcard_constraints:
        chain=layout.HARD_CHAIN,
    conda:
        ENV
    resources:
        gpu=1,
    params:
        code=script_code("hard_label_step.py"),
        kind=plan.task_kind,
        hp=plan.hard_hp,
        balance=plan.hard_balance,
        fixed_threshold=plan.fixed_threshold,
        ner_selection=config["self_training"]["ner_selection"],
        guards=config["self_training"]["guards"],
        class_keep_ratio=config["self_training"]["class_keep_ratio"],
        runtime=RUNTIME,
        seed=plan.seed_of,
        checkpoints=layout.step_pattern("checkpoints"),
    script:
        "../workflow_scripts/hard_label_step.py"
