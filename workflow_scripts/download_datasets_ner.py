"""Snakemake script: one NER split of a Hugging Face dataset (data.conll.files.<lang>.hub, e.g. WikiANN or
XTREME PAN-X) fetched with ``datasets.load_dataset`` and written as Parquet (rules/download.smk)."""


from xlt.data.hf import download_hub_split
from xlt.errors import exit_on_user_error
from xlt.runtime import start

log = start(snakemake, "download_datasets_ner")  # noqa: F821


@exit_on_user_error
def main(smk):
    hub = smk.params.hub
    rows = download_hub_split(hub["path"], hub.get("name"), smk.wildcards.split, smk.output[0], hub.get("revision"))
    log.info("datasets %s %s (%s): %d sentences to %s", hub["path"], hub.get("name"), smk.wildcards.split, rows,
             smk.output[0])


main(snakemake)  # noqa: F821
