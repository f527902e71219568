"""Reading and writing the run directory's files: atomic writes, and reads that fail with one clear line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from loadgate.errors import InputError


class RunFormatError(InputError):
    """A run directory that is missing a file, has a corrupt one, or an unknown format version."""


M = TypeVar("M", bound=BaseModel)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``path`` through a temporary file, fsync and a rename, so readers never see half of it.

    The one atomic write of the project: run files, reports, verdicts and notebooks all use it.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: Path, data: dict | BaseModel) -> None:
    """Write JSON to ``path`` atomically (see :func:`write_atomic`)."""
    text = data.model_dump_json(indent=2) if isinstance(data, BaseModel) else json.dumps(data, indent=2)
    write_atomic(path, text + "\n")


def read_json_model(path: Path, model: type[M]) -> M:
    """Load ``path`` as ``model``, turning any problem into one clear RunFormatError."""
    try:
        return model.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise RunFormatError(f"{path}: missing") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(document)"
        raise RunFormatError(f"{path}: {where}: {err['msg']}") from None


def read_jsonl(path: Path, model: type[M], required: bool = False, growing: bool = False) -> list[M]:
    """Load a JSON-lines file as a list of ``model``; a missing optional file is empty.

    ``growing``: a file appended to as the run goes, whose writer may have been killed mid-line:
    a last line without its newline was never finished, and is not read.
    """
    if not path.exists():
        if required:
            raise RunFormatError(f"{path}: missing")
        return []
    lines = path.read_text().split("\n")
    if growing or not lines[-1].strip():
        lines.pop()
    rows = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(model.model_validate_json(line))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(line)"
            raise RunFormatError(f"{path}:{lineno}: {where}: {err['msg']}") from None
    return rows
