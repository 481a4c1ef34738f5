"""A CSV file sent from the page, read by the project's own loader (:func:`~tinygrad_lr.load_csv`).

The text is written under its own name into a private temporary folder and loaded from there, so
the loader's messages name the learner's file, line and column (``data.csv, line 4, column 2
(y): 'abc' is not a number``); the folder is removed afterwards. At most
:data:`MAX_CSV_BYTES` of text, one feature column against the target.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from typing import Any

from ..data import DataError, Dataset, load_csv
from .state import MAX_POINTS, LabInputError

__all__ = ["MAX_CSV_BYTES", "read_uploaded_csv", "one_feature"]

MAX_CSV_BYTES = 1_000_000  # 1000 points need ~30 KB; a larger file is not one the lab can show
_SAFE = re.compile(r"[^A-Za-z0-9._ -]")


def _column(value: Any, what: str) -> int | str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 100:
        raise LabInputError(f"the {what} column must be a column name or number, got {value!r:.40}")
    return int(value) if value.lstrip("-").isdigit() else value


def read_uploaded_csv(
    name: Any, text: Any, x: Any = None, y: Any = None
) -> tuple[list[float], list[float], tuple[str, str]]:
    """The points of an uploaded CSV: ``x`` (the feature column; default the first but the target)
    and ``y`` (the target; default the last), with their names."""
    if not isinstance(text, str):
        raise LabInputError("the CSV upload needs the file's text")
    size = len(text.encode("utf-8"))
    if size > MAX_CSV_BYTES:
        raise LabInputError(f"the CSV file is {size} bytes, more than the lab reads ({MAX_CSV_BYTES} bytes)")
    shown = _SAFE.sub("_", os.path.basename(name if isinstance(name, str) else "") or "upload.csv")[:80]
    shown = shown.lstrip(".") or "upload.csv"
    xcol, ycol = _column(x, "x"), _column(y, "y")
    folder = tempfile.mkdtemp(prefix="tinygrad-lr-lab-")
    path = os.path.join(folder, shown)
    try:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        data = load_csv(path, features=None if xcol is None else [xcol], target=ycol, max_bytes=MAX_CSV_BYTES)
    except DataError as exc:
        raise LabInputError(str(exc).replace(path, shown)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return one_feature(data, shown, "name the one to use as the x column")


def one_feature(data: Dataset, shown: str, choose: str) -> tuple[list[float], list[float], tuple[str, str]]:
    """The points of a data set of one feature, with its column names; :class:`LabInputError` for
    more features (``choose`` says how to pick one) or more rows than the lab shows."""
    if data.n_features != 1:
        cols = ", ".join(data.feature_names)
        raise LabInputError(
            f"{shown}: the lab plots one feature against the target, and the file has "
            f"{data.n_features} feature columns ({cols}); {choose}"
        )
    if data.n_samples > MAX_POINTS:
        raise LabInputError(
            f"{shown}: {data.n_samples} rows, more than the lab shows ({MAX_POINTS}); use a sample"
        )
    return data.X[:, 0].tolist(), data.y.tolist(), (str(data.feature_names[0]), str(data.target_name))
