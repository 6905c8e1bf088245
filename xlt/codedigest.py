"""A digest of the code a workflow script runs: the script and every ``xlt`` module it imports, directly or
through other ``xlt`` modules (imports inside functions included).

Each rule passes ``code_digest(<its script>)`` as a parameter, so Snakemake's params rerun trigger re-runs a
job when that code changes — an edit of ``xlt/selftrain/threshold.py`` re-runs the jobs whose scripts reach it and no
others. Snakemake itself tracks only a rule's own shell or run code, not a script's imports.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

PACKAGE = "xlt"


def _module_file(root: Path, dotted: str) -> Path | None:
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(root: Path, path: Path) -> str:
    """The package a module file belongs to (for ``xlt/train/__init__.py`` and ``xlt/train/api.py``: xlt.train),
    against which its relative imports resolve."""
    return ".".join(path.relative_to(root).parent.parts)


def _imported_modules(root: Path, path: Path) -> set[str]:
    """Dotted names of the ``xlt`` modules (and packages) that ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    inside = path.is_relative_to(root / PACKAGE)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if not inside:
                    continue
                package = _package_of(root, path).split(".")
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != PACKAGE:
                continue
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)  # `from xlt.train import api` imports a module
    out = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing xlt.train.api runs xlt/__init__ and xlt/train/__init__
            out.add(".".join(parts[:i]))
    return out


def code_files(script, root=None) -> list[Path]:
    """The script and the ``xlt`` module files it reaches, sorted."""
    script = Path(script).resolve()
    root = Path(root).resolve() if root is not None else Path(__file__).resolve().parents[1]
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imported_modules(root, path):
            found = _module_file(root, name)
            if found is not None and found not in seen:
                todo.append(found)
    return sorted(seen)


@functools.lru_cache(maxsize=None)
def _digest(script: str, root: str | None) -> str:
    root_path = Path(root).resolve() if root is not None else Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in code_files(script, root_path):
        name = path.relative_to(root_path).as_posix() if path.is_relative_to(root_path) else path.name
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def code_digest(script, root=None) -> str:
    """16 hex digits of sha256 over the script and the ``xlt`` modules it reaches (names and contents)."""
    return _digest(str(Path(script).resolve()), None if root is None else str(root))
