"""Config files: YAML read with one-line errors (``file:line:column``), and several files merged as Snakemake's
``--configfile`` merges them, then validated (:func:`xlt.config.validate`)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from xlt.config import validate
from xlt.errors import UserError


def load(path) -> dict:
    """Read and validate a YAML config file."""
    return validate(read_yaml(path))


def load_layers(paths) -> dict:
    """Read YAML config files and merge them in order as Snakemake's ``--configfile`` does (a later file's keys
    replace an earlier one's, nested mappings merged key by key); validate the result."""
    merged: dict = {}
    for path in paths:
        layer = read_yaml(path)
        if not isinstance(layer, dict):
            raise UserError(f"{path}: expected a mapping of config keys at the top level")
        _merge(merged, layer)
    return validate(merged)


def _merge(into: dict, layer: dict) -> None:
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def check_yaml_or_exit(path) -> None:
    """For the Snakefile, before ``configfile:``: a YAML syntax error in ``path`` stops the run with one line
    naming ``file:line:column`` (Snakemake's own message names neither). A missing file is left to Snakemake."""
    if not Path(path).is_file():
        return
    try:
        read_yaml(path)
    except UserError as err:
        sys.stderr.write(f"error: {err}\n")
        raise SystemExit(1) from None


def read_yaml(path):
    """Parse a YAML file; a syntax error is one line naming ``file:line:column``."""
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UserError(f"{where}: invalid YAML ({getattr(err, 'problem', err)})") from None
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    return config
