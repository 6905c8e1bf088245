"""Snakemake script: download one dataset archive (rules/download.smk), log its size and digests."""


from xlt.data.download import check_digest, download
from xlt.errors import UserError, exit_on_user_error
from xlt.runtime import start

log = start(snakemake, "download_dataset")  # noqa: F821


@exit_on_user_error
def main(url, url_key, output, sha256, md5, sha256_key, md5_key, timeout):
    if not url:
        raise UserError(f"{url_key}: not set (expected the URL of {output}; see docs/datasets.md)")
    info = download(url, output, timeout=timeout)
    log.info("downloaded %s to %s: %d bytes", info["url"], info["path"], info["bytes"])
    log.info("sha256 %s md5 %s", info["sha256"], info["md5"])
    line = check_digest(info, sha256=sha256, md5=md5, sha256_key=sha256_key, md5_key=md5_key)
    (log.info if "verified:" in line else log.warning)(line)


main(
    url=snakemake.params.url,  # noqa: F821
    url_key=snakemake.params.url_key,  # noqa: F821
    output=snakemake.output[0],  # noqa: F821
    sha256=snakemake.params.sha256,  # noqa: F821
    md5=snakemake.params.md5,  # noqa: F821
    sha256_key=snakemake.params.sha256_key,  # noqa: F821
    md5_key=snakemake.params.md5_key,  # noqa: F821
    timeout=float(snakemake.params.get("timeout", 60)),  # noqa: F821
)
