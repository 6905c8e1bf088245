"""Reading model folders: a damaged or incomplete folder is one line naming it and the rule that wrote it."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Iterator

from xlt.errors import UserError
from xlt.io import ARTIFACT_FILE


def _unreadable_errors() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [OSError, ValueError, EOFError, KeyError]
    try:
        from safetensors import SafetensorError

        kinds.append(SafetensorError)
    except ImportError:  # pragma: no cover - safetensors ships with transformers
        pass
    return tuple(kinds)


def writer_of(folder) -> str | None:
    """The rule that wrote a model folder, from its ``xlt_artifact.json`` (None when unknown)."""
    try:
        return json.loads((Path(folder) / ARTIFACT_FILE).read_text(encoding="utf-8")).get("rule")
    except (OSError, ValueError, AttributeError):
        return None


@contextlib.contextmanager
def reading_model(folder) -> Iterator[None]:
    """Around ``from_pretrained`` calls on ``folder``: a corrupt or truncated weights/tokenizer/config file
    (safetensors header, JSON, missing piece) becomes a :class:`UserError` that names the folder and says what to
    re-run, instead of a library traceback."""
    try:
        yield
    except UserError:
        raise
    except _unreadable_errors() as err:
        rule = writer_of(folder)
        redo = (f"delete it and re-run the workflow (rule {rule} writes it again)" if rule
                else "replace it with a complete copy")
        detail = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise UserError(f"{folder}: cannot read the model folder ({type(err).__name__}: {detail[:200]}); the folder "
                        f"is damaged or incomplete: {redo}") from None
