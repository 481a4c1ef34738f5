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
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ._files import atomic_file, input_file
from .errors import InputError

__all__ = ["save", "load", "FORMATS"]

FORMATS = (".json", ".npz")


def _format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"cannot tell the format of {str(path)!r}: use a .json or .npz file name")
    return ext


def save(state: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a state dict (names to numbers or arrays) to a ``.json`` or ``.npz`` file.

    Every value must be a finite number or a (nested, rectangular) list or array of them: a
    string, a boolean, ``None``, a graph node or NaN/inf is refused naming its key, before the
    file is touched.

    Example:
        >>> import tempfile, os
        >>> from tinygrad_lr import LinearRegression
        >>> m = LinearRegression(w=2.0, b=1.0)
        >>> path = save(m.state_dict(), os.path.join(tempfile.mkdtemp(), "model.json"))
        >>> LinearRegression(engine="tensor").load_state_dict(load(path)).predict([1.0, 2.0]).tolist()
        [3.0, 5.0]
    """
    if not isinstance(state, Mapping):
        hint = " (a model: save(model.state_dict(), path))" if hasattr(state, "state_dict") else ""
        raise InputError(
            f"save: state must be a state dict {{name: numbers}} such as model.state_dict(){hint}, "
            f"got {type(state).__name__}"
        )
    path = Path(path)
    fmt = _format(path)
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"save: names must be non-empty strings, got {name!r}")
        arrays[name] = numbers_of(value, name, "save")
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
    """Read a state dict written by :func:`save` (never unpickling anything).

    Every value must be a finite number or a rectangular list or array of them (as :func:`save`
    writes): ``1e400`` (inf), ``null``, a string or ``true`` is refused naming its key, and a
    file that is empty, truncated or not of its format is one clear ``ValueError``.
    """
    given = str(path)
    path = Path(path)
    fmt = _format(path)
    try:
        input_file(path)  # a directory, a missing file, a path through a file: each called what it is
    except OSError as exc:
        raise type(exc)(f"load: {exc}") from None
    raw = _read_json(path, given) if fmt == ".json" else _read_npz(path, given)
    out = {}
    for name, value in raw.items():
        if not name:
            raise ValueError(f"load: {given} has an empty name; names are non-empty strings")
        out[name] = numbers_of(value, name, f"load: {given}")
    return out


def _read_json(path: Path, given: str) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise ValueError(f"load: {given} is not valid JSON: {e}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"load: {given} must hold a JSON object of name -> numbers")
    return raw


def _read_npz(path: Path, given: str) -> dict[str, Any]:
    if path.stat().st_size == 0:
        raise ValueError(f"load: {given} is empty (0 bytes), not a .npz archive")
    try:
        with open(path, "rb") as fh:  # ours to close, whatever np.load makes of it
            archive = np.load(fh, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):  # a lone .npy array: no names
                raise ValueError("it holds one unnamed array (.npy), not an archive of named arrays")
            with archive:
                return {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise ValueError(f"load: {given} is not a readable .npz of plain arrays (truncated?): {e}") from None


def numbers_of(value: Any, name: str, where: str) -> np.ndarray:
    """``value`` as a float64 array when it is a finite number or a rectangular (nested) list or
    array of finite numbers; else a ``ValueError`` naming ``name`` and what it holds instead."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            what = "booleans" if value.dtype.kind == "b" else f"{value.dtype} values"
            raise ValueError(f"{where}: {name} holds {what}, not numbers")
        arr = value.astype(np.float64)
    else:
        bad = _not_a_number(value)
        if bad:
            raise ValueError(f"{where}: {name} {bad}; a state dict holds numbers and lists of numbers")
        try:
            with np.errstate(over="ignore"):
                arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{where}: {name} is not a number or a rectangular list of numbers") from None
    if not np.all(np.isfinite(arr)):
        first = arr.reshape(-1)[~np.isfinite(arr.reshape(-1))][0]
        raise ValueError(f"{where}: {name} holds NaN or infinite numbers ({first}); refusing them")
    return arr


def _not_a_number(value: Any) -> str:
    """What is wrong with a number or nested list (``""`` if nothing): ``holds a string`` ..."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, (bool, np.bool_)):
            return f"holds the boolean {v!r}"
        elif isinstance(v, int):
            try:
                float(v)
            except OverflowError:  # a whole number of 309 digits or more
                return "holds a whole number beyond float64 (over 1.8e308)"
        elif isinstance(v, (float, np.integer, np.floating)):
            continue
        elif v is None:
            return "is null (None)"
        elif isinstance(v, (str, bytes)):
            return f"holds the string {str(v)[:40]!r}"
        elif hasattr(v, "_prev"):
            return f"holds a graph node ({type(v).__name__}): save numbers, model.state_dict()"
        else:
            return f"holds {type(v).__name__} {str(v)[:40]!r}"
    return ""


def _refuse_constant(name: str) -> float:
    raise ValueError(f"load: the file holds {name}, not a finite number")
