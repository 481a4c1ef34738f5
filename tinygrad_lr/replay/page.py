"""The replay as one self-contained HTML page (no server, no network): :func:`write_replay`.

The page holds the recording's numbers (every update's parameters, gradient and loss), the
graph frames of :mod:`.graphs` (one SVG template per graph shape, and the label lines of every
frame), a small stylesheet and a script; the script draws the data, landscape and loss-curve
panels as SVG and keeps every panel on the same moment: an update and one of its three phases.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .._files import atomic_folder, output_path
from ..viz.page import inline_svg
from ..viz.recording import landscape_axes, landscape_ranges, least_squares_minimum
from ..viz.update_graphs import FOLD_ABOVE, GraphFrames, graph_frames, missing_dot_error
from .budget import (
    MAX_ASKED,
    PAGE_LIMIT,
    NumbersPlan,
    detail_note,
    detail_updates,
    kept_note,
    numbers_data,
    plan_numbers,
    trim_frames,
)
from .record import Recording, ReplayTooLargeError

__all__ = ["write_replay", "check_replay_folder", "replay_data", "replay_html", "OUR_FILES"]

# what the live lab holds (tinygrad_lr.lab.state's MAX_UPDATES and MAX_POINTS; the lab sits
# above the replay, so they are repeated here and a test keeps them equal)
LAB_RUN_UPDATES, LAB_POINTS = 5000, 1000
OUR_FILES = ("index.html", "updates.csv")  # what a replay folder holds; nothing else is touched
_OURS = re.compile(r"^(index\.html|updates\.csv)$")


def replay_data(
    rec: Recording,
    frames: GraphFrames,
    axes: tuple[int, int] | None = None,
    plan: NumbersPlan | None = None,
    asked: Sequence[int] = (),
) -> dict[str, Any]:
    """Everything the page's script reads: plain lists and numbers, and the kept updates' numbers
    in base64 (:func:`~tinygrad_lr.replay.budget.numbers_data`; ``plan``: which updates, by
    default as the budget allows)."""
    plan = plan_numbers(rec) if plan is None else plan
    i, j = landscape_axes(rec) if axes is None else axes
    P = len(rec.param_names)
    for a in (i, j):
        if not 0 <= a < P:
            raise ValueError(f"landscape axis {a} is not a parameter index (0 to {P - 1})")
    A = rec.design()
    minimum = least_squares_minimum(rec)
    n = rec.n_samples
    history = rec.history
    return {
        "param_names": rec.param_names,
        "feature_names": rec.feature_names,
        "target_name": rec.target_name,
        "bias": rec.bias,
        "engine": rec.engine,
        "lr": rec.lr,
        "optimizer": rec.optimizer,
        "description": rec.description,
        "loss_name": rec.loss_name,
        "X": rec.X.tolist(),
        "y": rec.y.tolist(),
        "updates": rec.updates,
        "lab": {"updates": LAB_RUN_UPDATES, "points": LAB_POINTS},
        "numbers": numbers_data(rec, plan),
        "kept_note": kept_note(rec, plan),
        "detail_note": detail_note(rec, frames, asked),
        "initial_loss": None if history is None else history.initial_loss,
        "initial_params": rec.history_initial().tolist(),
        "diverged": rec.diverged,
        "max_stable_lr": rec.max_stable_lr,
        "plain": rec.plain,
        "formula": rec.formula,
        "constants": rec.constants,
        "standardized": _standardized(rec),
        "moments": {"G": (A.T @ A).tolist(), "c": (A.T @ rec.y).tolist(), "yy": float(rec.y @ rec.y), "n": n},
        "axes": [i, j],
        "minimum": minimum,
        "ranges": landscape_ranges(rec, (i, j)),
        "frames": {
            "updates": frames.updates,
            "template": frames.template,
            "labels": frames.labels,
            "folded": frames.folded,
            "samples": frames.samples,
            "params": frames.params,
            "fold_above": FOLD_ABOVE,
        },
        "graph_error": frames.error,
    }


def _standardized(rec: Recording) -> str | None:
    """``z_x = (x - 49.9) / 11.3``, for every feature of a standardized run; else None."""
    s = rec.standardizer
    if s is None:
        return None
    originals = [n[2:] if n.startswith("z_") else n for n in rec.feature_names]
    return ", ".join(
        f"{z} = ({x} - {m:.6g}) / {sd:.6g}"
        for z, x, m, sd in zip(rec.feature_names, originals, s.mean, s.std)
    )


def _script_data(data: dict[str, Any]) -> str:
    """The data as a JavaScript expression: JSON, where ``Infinity`` and ``NaN`` (a diverged
    run's numbers) are JavaScript's own names, and ``</`` cannot end the script early."""
    return json.dumps(data, separators=(",", ":"), allow_nan=True).replace("</", "<\\/")


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def replay_html(
    rec: Recording,
    frames: GraphFrames,
    *,
    title: str | None = None,
    axes: tuple[int, int] | None = None,
    plan: NumbersPlan | None = None,
    asked: Sequence[int] = (),
) -> str:
    """The page's HTML text (see :func:`write_replay`)."""
    data = replay_data(rec, frames, axes, plan, asked)
    if title is None:
        model = " + ".join(
            [f"{w}*{x}" for w, x in zip(rec.param_names, rec.feature_names)] + (["b"] if rec.bias else [])
        )
        title = f"Watching {rec.description.split(' (')[0]} learn {rec.target_name} = {model}"
    templates = "\n".join(
        f'<div class="template" data-template="{t}" hidden>{inline_svg(svg)}</div>'
        for t, svg in enumerate(frames.templates)
        if svg is not None
    )
    page = _asset("page.html")
    return (
        page.replace("{{TITLE}}", html.escape(title))
        .replace("{{CSS}}", _asset("page.css"))
        .replace("{{TEMPLATES}}", templates)
        .replace("{{DATA}}", _script_data(data))
        .replace("{{SCRIPT}}", _asset("numbers.js") + "\n" + _asset("page.js"))
    )


def _updates_csv(rec: Recording) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = rec.param_names
    writer.writerow(
        ["update", "epoch", "batch", "loss"]
        + [f"{n}_before" for n in names]
        + [f"dL/d{n}" for n in names]
        + [f"{n}_after" for n in names]
        + [f"{note}[{j}]" for note, v in rec.notes.items() for j in range(v.shape[1])]
    )
    n, everyone = rec.n_samples, np.arange(rec.n_samples)
    columns = [rec.losses[:, None], rec.before, rec.grads, rec.after, *rec.notes.values()]
    numbers = np.hstack(columns).tolist() if rec.updates else []  # Python floats: repr is exact
    epochs = rec.epoch.tolist()
    for k, row in enumerate(numbers):  # numbers and plain words only: nothing for csv to quote
        batch = rec.batches[k]
        rows = (
            "all"
            if len(batch) == n and np.array_equal(batch, everyone)
            else " ".join(map(str, (batch + 1).tolist()))
        )
        out.write(f"{k + 1},{epochs[k]},{rows},{','.join(map(repr, row))}\n")
    return out.getvalue().encode("utf-8")


def check_replay_folder(folder: str | os.PathLike[str]) -> Path:
    """Refuse, before any work, a folder the replay cannot be written to (one-line ``OSError``):
    a file in the way, a folder holding other files, a parent that is a file or not writable.
    A missing parent folder is refused, by the rule every output follows (``_files.output_path``)."""
    folder = output_path(folder, "the replay")
    if folder.exists():
        if not folder.is_dir():
            raise FileExistsError(f"cannot write the replay to {folder}: it is a file, not a folder")
        others = sorted(p.name for p in folder.iterdir() if p.name not in OUR_FILES)
        if others:
            raise FileExistsError(
                f"cannot write the replay to {folder}: the folder holds other files ({', '.join(others[:3])}"
                f"{', ...' if len(others) > 3 else ''}); choose a new or empty folder"
            )
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise NotADirectoryError(f"cannot write the replay to {folder}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write the replay to {folder}: the folder {parent} is not writable")
    return folder


def asked_updates(rec: Recording, detail: Sequence[int]) -> list[int]:
    """The updates (0-based) asked to be kept in full detail, checked: whole numbers of the run."""
    out = []
    for k in detail:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"detail takes update numbers (0-based whole numbers), got {k!r:.40}")
        if not 0 <= int(k) < rec.updates:
            raise ValueError(f"detail: update {int(k)} is not one of the run's (0 to {rec.updates - 1})")
        out.append(int(k))
    if len(set(out)) > MAX_ASKED:
        raise ValueError(f"detail: at most {MAX_ASKED} updates can be asked for, got {len(set(out))}")
    return sorted(set(out))


def write_replay(
    rec: Recording,
    folder: str | os.PathLike[str],
    *,
    first: int = 20,
    frames: int = 60,
    axes: tuple[int, int] | None = None,
    title: str | None = None,
    detail: Sequence[int] = (),
) -> Path:
    """Write the replay of ``rec`` into ``folder``: ``index.html`` (open it in any browser) and
    ``updates.csv`` (every update's numbers). Returns the page's path.

    The page stays under 15 MB for any run (:mod:`~tinygrad_lr.replay.budget`): every update's
    numbers while they fit, else those of whole blocks of updates (the page says which); full
    detail -- the graph of the update, every node's numbers -- for at most ``frames`` updates: the
    first ``first``, then log-spaced ones up to the last, and every update in ``detail``
    (0-based, at most 100), as many as fit. ``axes`` picks the two parameters (indices into
    ``rec.param_names``) the landscape is drawn over, the others held at their current values;
    default ``(w, b)``, or ``(w1, w2)`` for two or more features.

    The folder is written whole or not at all: into a temporary sibling folder first, then
    renamed. An existing replay folder is replaced; a folder holding other files is refused.

    Raises:
        GraphvizNotFoundError: Graphviz's ``dot`` is missing -- raised *after* the page (without
            the graph panel) and the numbers were written.
        ReplayTooLargeError: the page would still pass 15 MB (a data set of very many numbers);
            nothing is written.
        OSError: the folder cannot be written.
    """
    folder = check_replay_folder(folder)
    asked = asked_updates(rec, detail)
    plan = plan_numbers(rec, asked)
    picks = detail_updates(rec.updates, plan, asked, first=first, total=frames)
    gf = trim_frames(graph_frames(rec, picks), asked)
    page = replay_html(rec, gf, title=title, axes=axes, plan=plan, asked=asked).encode("utf-8")
    if len(page) > PAGE_LIMIT:
        raise ReplayTooLargeError(
            f"the replay page would be {len(page) / 1e6:.1f} MB, more than {PAGE_LIMIT / 1e6:g} MB: "
            f"the data ({rec.n_samples} rows of {rec.n_features + 1} numbers) is too large to draw; "
            "replay a sample of the rows"
        )
    with atomic_folder(folder, _OURS, "the replay") as build:  # whole or not at all
        (build / "index.html").write_bytes(page)
        (build / "updates.csv").write_bytes(_updates_csv(rec))
    if gf.error is not None:
        raise missing_dot_error(gf, f"the replay {folder / 'index.html'}")
    return folder / "index.html"
