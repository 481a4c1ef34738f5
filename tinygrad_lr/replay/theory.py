"""The theory's pictures drawn over real runs: an optimizer race, and the whole set for a data set.

:mod:`tinygrad_lr.theory` predicts what GD, momentum and Nesterov do; the pictures of
:mod:`tinygrad_lr.viz.figures.theory` draw a prediction over a run. This module makes the runs
(``fit`` with the project's optimizers, Adam too, every parameter vector kept) and animates the
race with the replay's writer (:func:`~tinygrad_lr.replay.animate.write_animation`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._files import atomic_folder, check_output_folder
from ..models import LinearRegression
from ..optim import make_optimizer
from ..theory import DEFAULT_MOMENTUM, Prediction, Quadratic, number
from ..train import DivergenceError, fit
from ..viz.update_graphs import frame_updates
from .animate import write_animation

__all__ = [
    "Race",
    "engine_setup",
    "engine_path",
    "race",
    "save_race",
    "theory_pictures",
    "PICTURES",
    "RACE_STEPS",
]

PICTURES = ("landscape.png", "directions.png", "phase.png", "race.gif")
RACE_STEPS = 2_000  # a race longer than this shows its first 2000 steps
LANDSCAPE_STEPS = 300_000  # the landscape draws the predicted path up to the tolerance, at most this far
ACTUAL_STEPS = 5_000  # ... and the engine's run over it this far at most (a few seconds)
_OURS = re.compile(r"(landscape|directions|phase)\.png|race\.gif")


def check_pictures_folder(folder: str | os.PathLike[str]) -> Path:
    """Refuse, before any work, a folder :func:`theory_pictures` may not write: a missing parent, a
    file in the way, a folder holding files other than the pictures of an earlier run."""
    return check_output_folder(folder, _OURS, "the pictures")


def engine_setup(
    q: Quadratic, method: str, lr: float, *, momentum: float = 0.0, start: Any = None, engine: str = "tensor"
) -> tuple[LinearRegression, Any]:
    """The model at ``start`` and the project's optimizer ``method`` on it: what a run of the theory's
    setting trains with (``"gd"``, ``"momentum"``, ``"nesterov"``, ``"adam"``, ...)."""
    theta0 = q.start_vector(start)
    d = q.X.shape[1]
    model = LinearRegression(
        d, bias=q.bias, engine=engine, w=theta0[:d].tolist(), b=float(theta0[d]) if q.bias else None
    )
    if method in ("momentum", "nesterov"):
        return model, make_optimizer(method, model.parameters(), lr, momentum=momentum)
    return model, make_optimizer(method, model.parameters(), lr)


def engine_path(
    q: Quadratic,
    method: str,
    lr: float,
    steps: int,
    *,
    momentum: float = 0.0,
    start: Any = None,
    engine: str = "tensor",
) -> np.ndarray:
    """The engine's own run: ``fit`` with the project's optimizer ``method`` from ``start``, every
    parameter vector from the start on (fewer rows if the loss overflowed: the run stops there)."""
    model, opt = engine_setup(q, method, lr, momentum=momentum, start=start, engine=engine)
    try:
        history = fit(
            model,
            (q.X, q.y),
            opt,
            loss=q.loss_name,
            epochs=steps,
            record_params=True,
            progress=False,
            patience=None,
        )
    except DivergenceError as err:  # the loss overflowed: the run up to there
        if err.history is None:
            raise
        history = err.history
    return np.array(history.params, dtype=np.float64).reshape(-1, q.n_params)


@dataclass(frozen=True)
class Race:
    """Runs from one start on one data set: each label's parameter path, and its prediction
    (``None`` for Adam, which has no closed form)."""

    q: Quadratic
    paths: dict[str, np.ndarray]
    predictions: dict[str, Prediction | None]


def race(
    q: Quadratic,
    settings: Sequence[tuple[str, float, float]] = (),
    *,
    steps: int | None = None,
    adam_lr: float | None = None,
    start: Any = None,
    engine: str = "tensor",
) -> Race:
    """GD, heavy ball, Nesterov and Adam from one start: run by ``fit``, predicted by the theory.

    ``settings`` are ``(method, lr, momentum)`` for the first three (what is missing takes the
    method's best: GD's fixed lr, Polyak's, the tuned Nesterov; a round bowl, whose best momentum is
    0, races momentum 0.9). Adam's lr defaults to a hundredth of the distance from the start to the
    minimum per step (no theory picks it). ``steps`` defaults to the predicted steps to 1e-6 of the
    fastest predicted method, between 20 and :data:`RACE_STEPS`.
    """
    chosen = {m: (lr, mu) for m, lr, mu in settings}
    for method in ("gd", "momentum", "nesterov"):
        if method not in chosen:
            lr, mu = _best(q, method)
            chosen[method] = (lr, mu)
    theta0 = q.start_vector(start)
    if steps is None:
        found = [
            q.steps_to(1e-6, m, lr, momentum=mu if m != "gd" else None, start=theta0, max_steps=RACE_STEPS)
            for m, (lr, mu) in chosen.items()
        ]
        steps = int(min(max([s for s in found if s is not None] or [RACE_STEPS]), RACE_STEPS))
        steps = max(steps, 20)
    paths: dict[str, np.ndarray] = {}
    predictions: dict[str, Prediction | None] = {}
    for method, (lr, mu) in chosen.items():
        pred = q.predict(method, lr, steps, momentum=mu if method != "gd" else None, start=theta0)
        label = pred.title
        paths[label] = engine_path(q, method, lr, steps, momentum=mu, start=theta0, engine=engine)
        predictions[label] = pred
    if adam_lr is None:
        adam_lr = float(np.abs(q.minimizer(theta0) - theta0).max()) / 100 or 1e-3
    label = f"Adam (lr {number(adam_lr, 4)}: a hundredth of the way per step)"
    paths[label] = engine_path(q, "adam", adam_lr, steps, start=theta0, engine=engine)
    predictions[label] = None
    return Race(q, paths, predictions)


def _best(q: Quadratic, method: str) -> tuple[float, float]:
    if method == "gd":
        return q.best_lr(), 0.0
    lr, mu = q.polyak() if method == "momentum" else q.nesterov_best()
    return (lr, mu) if mu > 0 else (q.best_lr(), DEFAULT_MOMENTUM)


def save_race(
    r: Race, path: str | os.PathLike[str], *, frames: int = 36, fps: int = 5, dpi: int = 100
) -> Path:
    """The race as a GIF or MP4: the first steps one by one, then log-spaced ones to the end."""
    from ..viz.figures.theory import RaceFigure

    view = RaceFigure(r.q, r.paths, r.predictions)
    view.freeze(dpi)  # frames redraw only what moves
    picks = frame_updates(view.steps + 1, first=max(1, frames // 3), total=frames)
    return write_animation(view.fig, lambda i: view.show(picks[i]), len(picks), path, fps=fps, dpi=dpi)


def theory_pictures(
    q: Quadratic,
    folder: str | os.PathLike[str],
    runs: Sequence[tuple[str, float, float, bool | None]] = (),
    *,
    start: Any = None,
    engine: str = "tensor",
    tol: float = 1e-6,
) -> list[str]:
    """Draw :data:`PICTURES` into ``folder`` (made whole or not at all; an earlier one is replaced).

    ``runs`` are ``(method, lr, momentum, converged)`` of the learner's runs (``converged``: what the
    real run did, ``None`` if it had not settled). The landscape and the per-direction errors show
    the first (default: GD at its best lr) up to ``tol``; the heavy ball's phase diagram marks the
    GD and heavy-ball runs; the race runs all three methods and Adam. Returns the files' paths.
    """
    from ..viz.figures import save
    from ..viz.figures.theory import error_directions, phase_diagram, theory_landscape

    runs = list(runs) or [("gd", q.best_lr(), 0.0, None)]
    method, lr, mu, _ = runs[0]
    extra = {"momentum": mu} if method != "gd" else {}
    theta0 = q.start_vector(start)
    upto = q.steps_to(tol, method, lr, start=theta0, max_steps=LANDSCAPE_STEPS, **extra)
    n = max(min(upto if upto is not None else LANDSCAPE_STEPS, LANDSCAPE_STEPS), 10)
    pred = q.predict(method, lr, n, start=theta0, **extra)
    actual = engine_path(q, method, lr, min(n, ACTUAL_STEPS), momentum=mu, start=theta0, engine=engine)
    marks = [(r[1], r[2], r[3]) for r in runs if r[0] in ("gd", "momentum")]
    the_race = race(q, [r[:3] for r in runs], start=theta0, engine=engine)
    with atomic_folder(folder, _OURS, "the pictures") as build:
        save(theory_landscape(q, pred, actual), build / "landscape.png")
        save(error_directions(pred, actual), build / "directions.png")
        save(phase_diagram(q, "momentum", marks), build / "phase.png")
        save_race(the_race, build / "race.gif")
    return [str(Path(folder) / name) for name in PICTURES]
