"""Saving and loading parameters: ``save(model.state_dict(), path)`` and ``load(path)``, as in PyTorch.

Two formats, chosen by the file's extension:

* ``.json``: ``{"name": number or nested list, ...}``, readable and diffable;
* ``.npz``: numpy's archive of arrays, read back with ``allow_pickle=False``.

Neither is ever unpickled, so loading a file cannot run code (``torch.load`` of a pickle can).
Files are written whole or not at all (a failure leaves the old file untouched).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ._files import atomic_file, input_file

__all__ = ["save", "load", "FORMATS"]

FORMATS = (".json", ".npz")


def _format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"cannot tell the format of {str(path)!r}: use a .json or .npz file name")
    return ext


def save(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a state dict (names to numbers or arrays) to a ``.json`` or ``.npz`` file.

    Example:
        >>> import tempfile, os
        >>> from tinygrad_lr import LinearRegression
        >>> m = LinearRegression(w=2.0, b=1.0)
        >>> path = save(m.state_dict(), os.path.join(tempfile.mkdtemp(), "model.json"))
        >>> LinearRegression(engine="tensor").load_state_dict(load(path)).predict([1.0, 2.0]).tolist()
        [3.0, 5.0]
    """
    path = Path(path)
    fmt = _format(path)
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"save: names must be non-empty strings, got {name!r}")
        arr = np.asarray(value, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"save: {name} holds NaN or infinite numbers; refusing to save them")
        arrays[name] = arr
    if fmt == ".json":
        data = json.dumps({k: v.tolist() for k, v in arrays.items()}, indent=2).encode("utf-8") + b"\n"
    else:
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)  # type: ignore[arg-type]
        data = buffer.getvalue()
    with atomic_file(path) as fh:
        fh.write(data)
    return path


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a state dict written by :func:`save` (never unpickling anything)."""
    path = Path(path)
    fmt = _format(path)
    try:
        input_file(path)  # a directory, a missing file, a path through a file: each called what it is
    except OSError as exc:
        raise type(exc)(f"load: {exc}") from None
    if fmt == ".json":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"load: {path} is not valid JSON: {e}") from None
        if not isinstance(raw, dict):
            raise ValueError(f"load: {path} must hold a JSON object of name -> numbers")
        out = {}
        for name, value in raw.items():
            try:
                out[name] = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"load: {path}: {name} is not a number or a list of numbers") from None
        return out
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: np.asarray(archive[name], dtype=np.float64) for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as e:
        raise ValueError(f"load: {path} is not a readable .npz of plain arrays: {e}") from None


def _refuse_constant(name: str) -> float:
    raise ValueError(f"load: the file holds {name}, not a finite number")


