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
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .._files import atomic_folder, output_path
from ..viz.page import inline_svg
from ..viz.recording import landscape_axes, landscape_ranges, least_squares_minimum, minimum_name
from ..viz.update_graphs import FOLD_ABOVE, GraphFrames, frame_updates, graph_frames, missing_dot_error
from .record import Recording

__all__ = ["write_replay", "check_replay_folder", "replay_data", "replay_html", "OUR_FILES"]

OUR_FILES = ("index.html", "updates.csv")  # what a replay folder holds; nothing else is touched
_OURS = re.compile(r"^(index\.html|updates\.csv)$")


def replay_data(rec: Recording, frames: GraphFrames, axes: tuple[int, int] | None = None) -> dict[str, Any]:
    """Everything the page's script reads, as plain lists and numbers."""
    i, j = landscape_axes(rec) if axes is None else axes
    P = len(rec.param_names)
    for a in (i, j):
        if not 0 <= a < P:
            raise ValueError(f"landscape axis {a} is not a parameter index (0 to {P - 1})")
    A = rec.design()
    minimum = least_squares_minimum(rec)
    n = rec.n_samples
    everyone = np.arange(n)
    batches = [None if len(b) == n and np.array_equal(b, everyone) else b.tolist() for b in rec.batches]
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
        "before": rec.before.tolist(),
        "after": rec.after.tolist(),
        "grads": rec.grads.tolist(),
        "losses": rec.losses.tolist(),
        "epoch": rec.epoch.tolist(),
        "batches": batches,
        "epoch_losses": [] if history is None else list(history.losses),
        "initial_loss": None if history is None else history.initial_loss,
        "initial_params": rec.history_initial().tolist(),
        "diverged": rec.diverged,
        "max_stable_lr": rec.max_stable_lr,
        "moments": {"G": (A.T @ A).tolist(), "c": (A.T @ rec.y).tolist(), "yy": float(rec.y @ rec.y), "n": n},
        "axes": [i, j],
        "minimum": minimum,
        "minimum_name": minimum_name(rec),
        "feature_means": rec.X.mean(axis=0).tolist(),
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


def _script_data(data: dict[str, Any]) -> str:
    """The data as a JavaScript expression: JSON, where ``Infinity`` and ``NaN`` (a diverged
    run's numbers) are JavaScript's own names, and ``</`` cannot end the script early."""
    return json.dumps(data, separators=(",", ":"), allow_nan=True).replace("</", "<\\/")


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def replay_html(
    rec: Recording, frames: GraphFrames, *, title: str | None = None, axes: tuple[int, int] | None = None
) -> str:
    """The page's HTML text (see :func:`write_replay`)."""
    data = replay_data(rec, frames, axes)
    if title is None:
        model = " + ".join(
            [f"{w}*{x}" for w, x in zip(rec.param_names, rec.feature_names)] + (["b"] if rec.bias else [])
        )
        said = f"{rec.target_name} = {model}"
        if rec.loss_name == "bce":
            said = f"p({rec.target_name} = 1) = sigmoid({model})"
        title = f"Watching {rec.description.split(' (')[0]} learn {said}"
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
        .replace("{{SCRIPT}}", _asset("page.js"))
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
    )
    for k in range(rec.updates):
        batch = rec.batches[k]
        rows = (
            "all"
            if len(batch) == rec.n_samples and np.array_equal(batch, np.arange(rec.n_samples))
            else (" ".join(str(int(r) + 1) for r in batch))
        )
        writer.writerow(
            [k + 1, int(rec.epoch[k]), rows, repr(float(rec.losses[k]))]
            + [repr(float(v)) for v in rec.before[k]]
            + [repr(float(v)) for v in rec.grads[k]]
            + [repr(float(v)) for v in rec.after[k]]
        )
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


def write_replay(
    rec: Recording,
    folder: str | os.PathLike[str],
    *,
    first: int = 20,
    frames: int = 60,
    axes: tuple[int, int] | None = None,
    title: str | None = None,
) -> Path:
    """Write the replay of ``rec`` into ``folder``: ``index.html`` (open it in any browser) and
    ``updates.csv`` (every update's numbers). Returns the page's path.

    Graph frames are drawn for at most ``frames`` updates: the first ``first``, then log-spaced
    ones (the page says so); the other panels show every update. ``axes`` picks the two
    parameters (indices into ``rec.param_names``) the landscape is drawn over, the others held
    at their current values; default ``(w, b)``, or ``(w1, w2)`` for two or more features.

    The folder is written whole or not at all: into a temporary sibling folder first, then
    renamed. An existing replay folder is replaced; a folder holding other files is refused.

    Raises:
        GraphvizNotFoundError: Graphviz's ``dot`` is missing -- raised *after* the page (without
            the graph panel) and the numbers were written.
        OSError: the folder cannot be written.
    """
    folder = check_replay_folder(folder)
    picks = frame_updates(rec.updates, first=first, total=frames)
    gf = graph_frames(rec, picks)
    page = replay_html(rec, gf, title=title, axes=axes)
    with atomic_folder(folder, _OURS, "the replay") as build:  # whole or not at all
        (build / "index.html").write_text(page, encoding="utf-8")
        (build / "updates.csv").write_bytes(_updates_csv(rec))
    if gf.error is not None:
        raise missing_dot_error(gf, f"the replay {folder / 'index.html'}")
    return folder / "index.html"
