"""Snakemake script: write the archive members ``params.members`` of ``input[0]`` to ``output`` (same order)."""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

import logging  # noqa: E402

from xlt.data.download import extract_members  # noqa: E402
from xlt.errors import exit_on_user_error  # noqa: E402

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("unpack_archive")


@exit_on_user_error
def main(archive, members, outputs):
    extract_members(archive, members, outputs)
    for member, output in zip(members, outputs):
        log.info("%s -> %s", member, output)


main(snakemake.input[0], list(snakemake.params.members), list(snakemake.output))  # noqa: F821
