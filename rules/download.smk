# Retrieval of the benchmarks that may be downloaded: Webis-CLS-10 (Zenodo record 3251672, access on
# request) and CoNLL-2002 (NLTK data package). CoNLL-2003 is licensed and comes from configured paths
# (docs/datasets.md). Downloads run on the submitting machine (localrules), are retried, and are
# verified against the configured digest (ensure); with no digest configured the log gives the
# computed one. (Self-contained but for script_code, so that tests can include it alone.)
from xlt.data.hf import hub_spec


localrules:
    download_cls,
    unpack_cls,
    download_conll2002,
    unpack_conll2002,
    download_datasets_ner,


rule download_cls:
    output:
        ensure(
            "resources/downloads/cls-acl10-unprocessed.tar.gz",
            non_empty=True,
            sha256=lookup(dpath="data/cls/sha256", within=config, default=None),
            md5=lookup(dpath="data/cls/md5", within=config, default=None),
        ),
    log:
        "logs/download_cls/cls-acl10-unprocessed.log",
    retries: 3
    conda:
        "../envs/data.yaml"
    params:
        code=script_code("download_dataset.py"),
        url=lookup(dpath="data/cls/url", within=config, default=None),
        url_key="data.cls.url",
        sha256=lookup(dpath="data/cls/sha256", within=config, default=None),
        sha256_key="data.cls.sha256",
        md5=lookup(dpath="data/cls/md5", within=config, default=None),
        md5_key="data.cls.md5",
    script:
        "../workflow_scripts/download_dataset.py"


rule unpack_cls:
    input:
        "resources/downloads/cls-acl10-unprocessed.tar.gz",
    output:
        expand(
            "resources/data/cls-acl10-unprocessed/{lang}/{domain}/{split}.review",
            lang=["de", "en", "fr", "jp"],
            domain=["books", "dvd", "music"],
            split=["train", "test", "unlabeled"],
        ),
    log:
        "logs/unpack_cls/cls-acl10-unprocessed.log",
    conda:
        "../envs/data.yaml"
    params:
        code=script_code("unpack_archive.py"),
        members=expand(
            "cls-acl10-unprocessed/{lang}/{domain}/{split}.review",
            lang=["de", "en", "fr", "jp"],
            domain=["books", "dvd", "music"],
            split=["train", "test", "unlabeled"],
        ),
    script:
        "../workflow_scripts/unpack_archive.py"


rule download_conll2002:
    output:
        ensure(
            "resources/downloads/conll2002.zip",
            non_empty=True,
            sha256=lookup(dpath="data/conll/conll2002_sha256", within=config, default=None),
            md5=lookup(dpath="data/conll/conll2002_md5", within=config, default=None),
        ),
    log:
        "logs/download_conll2002/conll2002.log",
    retries: 3
    conda:
        "../envs/data.yaml"
    params:
        code=script_code("download_dataset.py"),
        url=lookup(dpath="data/conll/conll2002_url", within=config, default=None),
        url_key="data.conll.conll2002_url",
        sha256=lookup(dpath="data/conll/conll2002_sha256", within=config, default=None),
        sha256_key="data.conll.conll2002_sha256",
        md5=lookup(dpath="data/conll/conll2002_md5", within=config, default=None),
        md5_key="data.conll.conll2002_md5",
    script:
        "../workflow_scripts/download_dataset.py"


# NLTK's conll2002.zip holds conll2002/{esp,ned}.{train,testa,testb} in UTF-8 (NLTK reads them as
# UTF-8; the CoNLL-2002 site distributes latin-1). The readers detect the encoding either way.
rule unpack_conll2002:
    input:
        "resources/downloads/conll2002.zip",
    output:
        expand(
            "resources/data/conll2002/{lang}.{split}",
            lang=["esp", "ned"],
            split=["train", "testa", "testb"],
        ),
    log:
        "logs/unpack_conll2002/conll2002.log",
    conda:
        "../envs/data.yaml"
    params:
        code=script_code("unpack_archive.py"),
        members=expand(
            "conll2002/{lang}.{split}",
            lang=["esp", "ned"],
            split=["train", "testa", "testb"],
        ),
    script:
        "../workflow_scripts/unpack_archive.py"


rule download_datasets_ner:
    output:
        ensure("resources/data/hf/{lang}/{split}.parquet", non_empty=True),
    log:
        "logs/download_datasets_ner/{lang}-{split}.log",
    wildcard_constraints:
        split="train|dev|test",
    retries: 3
    conda:
        "../envs/data.yaml"
    params:
        code=script_code("download_datasets_ner.py"),
        hub=lambda w: hub_spec(config, w.lang),
    script:
        "../workflow_scripts/download_datasets_ner.py"
