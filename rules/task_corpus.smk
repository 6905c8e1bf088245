# Stage 1: task corpora in the target language. CLS uses the corpus' unlabeled reviews (rules/data.smk);
# for NER the corpus is harvested from Wikipedia: entities of the English training set -> English page ->
# interlanguage link -> target page -> sentences that mention them (Section 3.1). MBERT-wiki's random
# Wikipedia corpus has the same size. A target with unlabeled text given by path (tasks.<task>.unlabeled)
# uses that instead (prepare_unlabeled_text).


localrules:
    download_wikipedia_dump,
    map_entity_titles,


rule download_wikipedia_dump:
    output:
        ensure("resources/wikipedia/{lang}wiki-latest-pages-articles.xml.bz2", non_empty=True),
    log:
        "logs/download_wikipedia_dump/{lang}.log",
    retries: 3
    conda:
        DATA_ENV
    params:
        code=script_code("download_dataset.py"),
        url=plan.wikipedia_dump_url,
        url_key="wikipedia.dump_url_template",
        sha256=None,
        sha256_key="",
        md5=None,
        md5_key="",
    script:
        "../workflow_scripts/download_dataset.py"


rule extract_entities:
    input:
        train=plan.labelled_data("conll", plan.task_cfg("conll")["source_language"], None, "train"),
    output:
        entities=f"{RESULTS}/corpus/conll/entities.tsv",
    log:
        "logs/extract_entities.log",
    conda:
        DATA_ENV
    params:
        code=script_code("extract_entities.py"),
        types=config["wikipedia"]["entity_types"],
        min_frequency=config["wikipedia"]["min_entity_frequency"],
        max_entities=config["wikipedia"]["max_entities"],
    script:
        "../workflow_scripts/extract_entities.py"


rule map_entity_titles:
    input:
        entities=f"{RESULTS}/corpus/conll/entities.tsv",
        resources=plan.mapping_resources,
    output:
        titles=f"{RESULTS}/corpus/conll/{{lang}}/titles.tsv",
        stats=f"{RESULTS}/corpus/conll/{{lang}}/mapping_stats.tsv",
    log:
        "logs/map_entity_titles/{lang}.log",
    conda:
        DATA_ENV
    params:
        code=script_code("map_entity_titles.py"),
        lang="{lang}",
        wiki=plan.mapping_settings,
        runtime=WIKI_RUNTIME,
    script:
        "../workflow_scripts/map_entity_titles.py"


rule harvest_entity_sentences:
    input:
        titles=f"{RESULTS}/corpus/conll/{{lang}}/titles.tsv",
        mapping_stats=f"{RESULTS}/corpus/conll/{{lang}}/mapping_stats.tsv",
        dumps=plan.dumps_of_lang,
    output:
        corpus=f"{RESULTS}/corpus/conll/{{lang}}/entity_sentences.jsonl",
        stats=f"{RESULTS}/corpus/conll/{{lang}}/harvest_stats.tsv",
    log:
        "logs/harvest_entity_sentences/{lang}.log",
    benchmark:
        f"{RESULTS}/benchmarks/harvest_entity_sentences/conll-{{lang}}.tsv"
    conda:
        DATA_ENV
    params:
        code=script_code("harvest_entity_sentences.py"),
        lang="{lang}",
        mapping=config["wikipedia"]["mapping"],
        max_sentences=config["wikipedia"]["max_sentences"],
        per_entity_cap=config["wikipedia"]["per_entity_cap"],
        min_tokens=config["wikipedia"]["min_tokens"],
        max_tokens=config["wikipedia"]["max_tokens"],
        min_sentences=config["wikipedia"]["min_sentences"],
        substring_scripts=config["wikipedia"]["substring_scripts"],
        runtime=WIKI_RUNTIME,
        seed=config["data"]["seed"],
    script:
        "../workflow_scripts/harvest_entity_sentences.py"


rule sample_random_wikipedia:
    input:
        dumps=plan.dumps_of_target,
        reference=plan.task_corpus,
    output:
        corpus=f"{RESULTS}/corpus/{{task}}/{{target}}/random_wikipedia.jsonl",
    log:
        "logs/sample_random_wikipedia/{task}-{target}.log",
    benchmark:
        f"{RESULTS}/benchmarks/sample_random_wikipedia/{{task}}-{{target}}.tsv"
    conda:
        DATA_ENV
    params:
        code=script_code("sample_random_wikipedia.py"),
        lang=plan.target_language,
        min_tokens=config["wikipedia"]["min_tokens"],
        max_tokens=config["wikipedia"]["max_tokens"],
        min_sentences=config["wikipedia"]["min_sentences"],
        runtime=WIKI_RUNTIME,
        seed=config["data"]["seed"],
    script:
        "../workflow_scripts/sample_random_wikipedia.py"


rule prepare_unlabeled_text:
    input:
        files=plan.given_unlabeled_files,
        test=plan.target_test,
    output:
        corpus=f"{RESULTS}/corpus/{{task}}/{{target}}/unlabeled_given.jsonl",
        info=f"{RESULTS}/corpus/{{task}}/{{target}}/unlabeled_given.info.json",
    log:
        "logs/prepare_unlabeled_text/{task}-{target}.log",
    conda:
        ENV
    params:
        code=script_code("prepare_unlabeled_text.py"),
        kind=plan.task_kind,
        spec=plan.given_unlabeled_spec,
        seed=config["data"]["seed"],
    script:
        "../workflow_scripts/prepare_unlabeled_text.py"
