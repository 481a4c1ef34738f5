"""What ``tinygrad-lr theory`` runs: the methods to compare, and the engine's own run of each.

The theory (:mod:`tinygrad_lr.theory`) predicts; these run ``fit`` with the project's optimizers,
so the command can print the prediction beside what really happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Setting", "Outcome", "settings", "run_engine"]


@dataclass(frozen=True)
class Setting:
    """One method to predict and run (``"gd"``, ``"momentum"``, ``"nesterov"``) at ``lr`` and ``momentum``."""

    method: str
    lr: float
    momentum: float
    why: str  # where the numbers come from: "the best fixed lr", "Polyak's best", "--lr"


@dataclass(frozen=True)
class Outcome:
    """What the engine did: the first step within the tolerance (``None``: not within ``ran`` steps),
    the loss gap after the last step run, and the step at which the run blew up (or ``None``)."""

    steps: int | None
    ran: int
    gap: float
    diverged_at: int | None


def settings(q: Any, lr: float | None, momentum: float | None) -> tuple[list[Setting], str | None]:
    """GD, heavy ball and Nesterov at ``lr`` and ``momentum``; what is not given is each method's best
    (GD's fixed lr, Polyak's heavy ball, the tuned Nesterov). When the best momentum is 0 (a round
    bowl) and none is given, momentum adds nothing: only GD, and a sentence saying why."""
    runs = [
        Setting("gd", lr if lr is not None else q.best_lr(), 0.0, _why(lr, None, "the best fixed lr", "gd"))
    ]
    best = {"momentum": (q.polyak(), "Polyak's best"), "nesterov": (q.nesterov_best(), "the tuned best")}
    if momentum is None and best["momentum"][0][1] == 0.0:
        note = (
            "momentum: the best momentum is 0 here (every direction the data determine has the same "
            "eigenvalue: a round bowl); gradient descent at its best lr is already the fastest; give "
            "--momentum to see momentum anyway"
        )
        return runs, note
    if momentum == 0.0:
        return runs, "momentum 0: heavy ball and Nesterov are gradient descent itself"
    for method, ((b_lr, b_mu), name) in best.items():
        s_lr = lr if lr is not None else b_lr
        mu = momentum if momentum is not None else b_mu
        runs.append(Setting(method, s_lr, mu, _why(lr, momentum, name, method)))
    return runs, None


def _why(lr: float | None, momentum: float | None, best: str, method: str) -> str:
    """Where a setting's numbers come from: ``"the best fixed lr"``, ``"--lr; momentum: Polyak's best"``."""
    given = [name for name, v in (("--lr", lr), ("--momentum", momentum)) if v is not None]
    if method == "gd":
        return "--lr" if lr is not None else best
    if not given:
        return best
    return (
        " and ".join(given)
        if len(given) == 2
        else f"{given[0]}; the {'momentum' if lr is not None else 'lr'}: {best}"
    )


def run_engine(
    q: Any, s: Setting, start: np.ndarray, tol: float, limit: int, engine: str, predicted: int | None
) -> Outcome:
    """``fit`` with the project's optimizer from ``start`` until ``L - L* <= tol`` or ``limit`` steps.

    It runs to just past the predicted step first (``predicted + 2``), and on to ``limit`` only if
    the tolerance was not met by then, so agreeing runs cost no more than the prediction says.
    """
    from ..replay.theory import engine_setup
    from ..train import DivergenceError, fit

    model, opt = engine_setup(q, s.method, s.lr, momentum=s.momentum, start=start, engine=engine)
    first = limit if predicted is None else min(limit, predicted + 2)
    done, gap = 0, math.inf
    for epochs in (first, limit - first):
        if epochs <= 0:
            continue
        try:
            h = fit(model, (q.X, q.y), opt, loss=q.loss_name, epochs=epochs, patience=None, progress=False)
        except DivergenceError as err:
            return Outcome(None, done + err.epoch, math.inf, done + err.epoch)
        losses = ([h.initial_loss] if done == 0 else []) + list(h.losses)
        offset = 0 if done == 0 else done + 1
        for k, L in enumerate(losses):
            if L - q.loss_star <= tol:
                return Outcome(offset + k, offset + k, L - q.loss_star, None)
        done += epochs
        gap = losses[-1] - q.loss_star
    return Outcome(None, done, gap, None)
