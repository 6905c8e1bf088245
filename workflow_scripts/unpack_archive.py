"""Snakemake script: write the archive members ``params.members`` of ``input[0]`` to ``output`` (same order)."""


from xlt.data.download import extract_members
from xlt.errors import exit_on_user_error
from xlt.runtime import start

log = start(snakemake, "unpack_archive")  # noqa: F821


@exit_on_user_error
def main(archive, members, outputs):
    extract_members(archive, members, outputs)
    for member, output in zip(members, outputs):
        log.info("%s -> %s", member, output)


main(snakemake.input[0], list(snakemake.params.members), list(snakemake.output))  # noqa: F821
