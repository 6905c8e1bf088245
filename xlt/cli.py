"""The ``xlt`` command: use a model the workflow trained.

* ``xlt predict --model DIR --input FILE --output FILE``: label new text (see :mod:`xlt.predict`);
* ``xlt export --model DIR --out DIR2``: a folder ``transformers`` loads, with a model card (see :mod:`xlt.export`);
* ``xlt check-config [FILE ...]``: validate config.yaml with the given files laid over it (see :mod:`xlt.config`).

Only the standard library is imported here, so ``xlt --help`` answers at once; a command imports torch and
transformers when it runs. Errors in the user's input are one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import logging
import sys

from xlt import __version__
from xlt.errors import UserError, exit_on_user_error

INPUT_FORMATS = ("auto", "text", "jsonl", "conll", "webis")  # = xlt.predict.INPUT_FORMATS (not imported: light)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xlt", description="Use a model trained by the xlt workflow "
                                     "(zero-shot cross-lingual transfer: BTF + self-training with voters).")
    parser.add_argument("--version", action="version", version=f"xlt {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("predict", help="label a file with a trained model",
                       description="Label every item of a file with a trained model folder; labels are those the "
                       "workflow's evaluation computes (voters averaged, long sentences windowed).")
    p.add_argument("--model", required=True, metavar="DIR", help="a model folder the workflow wrote "
                   "(fine-tuned, soft or hard student, with or without voters)")
    p.add_argument("--input", required=True, metavar="FILE", help="plain text (one item per line; for NER one "
                   "sentence of space-separated words per line), JSON lines, CoNLL columns (NER) or Webis-CLS-10 "
                   "review XML (sentiment)")
    p.add_argument("--output", default="-", metavar="FILE", help="where to write the predictions (default: "
                   "standard output)")
    p.add_argument("--format", default="jsonl", choices=("jsonl", "conll"), help="jsonl: one JSON object per item "
                   "(label and probabilities; for NER tags, scores and entity spans); conll: 'word [gold] tag' "
                   "columns (NER models)")
    p.add_argument("--input-format", default="auto", choices=INPUT_FORMATS, help="how to read --input (auto: by "
                   "extension .jsonl/.review/.conll, and for NER models by content)")
    p.add_argument("--field", default=None, metavar="NAME", help="JSON lines: the field holding the text (default "
                   "'text'), or for NER the words (default 'tokens'; a list or a string)")
    p.add_argument("--encoding", default="auto", help="CoNLL input: utf-8, latin-1 or auto (default)")
    p.add_argument("--batch-size", type=_positive_int, default=64, help="inputs per batch (default 64, as the "
                   "evaluation: self_training.inference_batch_size)")
    p.add_argument("--max-length", type=_positive_int, default=None, help="sub-tokens per input or window "
                   "(default: the training max_length from the folder's xlt_artifact.json)")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda or cuda:<index>")
    p.set_defaults(func=_predict)

    e = sub.add_parser("export", help="write a folder transformers can load, with a model card",
                       description="Write a folder that transformers.pipeline loads (a standard *ForTokenClassification "
                       "where the head maps onto one, otherwise the workflow's head as custom code: "
                       "trust_remote_code=True) with id2label/label2id and a model card README.md from "
                       "xlt_artifact.json; ready for `huggingface-cli upload`.")
    e.add_argument("--model", required=True, metavar="DIR", help="a model folder the workflow wrote")
    e.add_argument("--out", required=True, metavar="DIR", help="the folder to write (must not exist unless --force)")
    e.add_argument("--scores", nargs="*", default=None, metavar="FILE", help="results/.../variants/<variant>.json "
                   "files with the model's test scores (default: found beside the model)")
    e.add_argument("--force", action="store_true", help="replace --out if it exists")
    e.set_defaults(func=_export)

    c = sub.add_parser("check-config", help="validate config files as the workflow would read them",
                       description="Merge config.yaml and the given files in order (as `snakemake --configfile` "
                       "does) and validate the result: one line naming file:line:column or the key at fault.")
    c.add_argument("files", nargs="*", metavar="FILE", help="config files laid over the base (e.g. config/demo.yaml)")
    c.add_argument("--base", default="config.yaml", metavar="FILE", help="the workflow's own config (default "
                   "config.yaml)")
    c.set_defaults(func=_check_config)
    return parser


def _progress_bar():
    """A progress callback drawing a bar on a terminal (stderr), or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    state = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = tqdm(total=total, unit="input", desc="predict", file=sys.stderr, leave=False)
        state["bar"].update(done)

    def close() -> None:
        if "bar" in state:
            state["bar"].close()

    return update, close


def _predict(args) -> None:
    from xlt.predict import predict_file

    update, close = _progress_bar()
    try:
        done = predict_file(args.model, args.input, args.output, input_format=args.input_format, field=args.field,
                            encoding=args.encoding, output_format=args.format, batch_size=args.batch_size,
                            max_length=args.max_length, device=args.device, progress=update)
    finally:
        close()
    where = "standard output" if args.output == "-" else args.output
    print(f"xlt predict: {done['items']} items ({done['input_format']}) labelled by a {done['kind']} model with "
          f"{done['n_voters']} head(s), max_length {done['max_length']} -> {where}", file=sys.stderr)


def _export(args) -> None:
    from xlt.export import export_model

    done = export_model(args.model, args.out, scores=args.scores, force=args.force)
    print(f"xlt export: {done['architecture']} ({done['style']}) -> {args.out}", file=sys.stderr)


def _check_config(args) -> None:
    from xlt.config import targets
    from xlt.config_files import load_layers

    config = load_layers([args.base, *args.files])
    tasks = ", ".join(f"{t}: {len(targets(config, t))} targets" for t in ("cls", "conll") if targets(config, t))
    print(f"xlt check-config: valid ({tasks or 'no task enabled'})", file=sys.stderr)


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s: %(message)s")
    args.func(args)


__all__ = ["main", "build_parser", "UserError"]
