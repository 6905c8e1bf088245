"""Snakemake script (a localrule: it uses the network): snapshot a HuggingFace hub model into a folder."""

from xlt.errors import exit_on_user_error
from xlt.io import atomic_path
from xlt.models.providers import snapshot_model
from xlt.runtime import record_artifact, start

log = start(snakemake, "download_model")  # noqa: F821


@exit_on_user_error
def main(sm):
    import os

    os.environ["HF_HUB_OFFLINE"] = "0"  # the one rule that may reach the hub (start() defaults it to offline)
    os.environ["TRANSFORMERS_OFFLINE"] = "0"
    name, revision = sm.params.name, sm.params.revision
    with atomic_path(sm.output.model) as out:
        snapshot_model(name, revision, out)
        record_artifact(out, sm, model={"source": "hub", "name": name, "revision": revision})
    log.info("downloaded %s@%s", name, revision)


main(snakemake)  # noqa: F821
