"""What ``fit`` and ``fit --stream`` share: the model options' checks, predictions at ``--predict``
and the JSON result."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import Any

from .errors import UsageError

Predicted = tuple[list[list[float]], list[float]]  # the --predict inputs and the model's outputs


def check_model_options(args: argparse.Namespace, d: int) -> None:
    """``--init-b``, ``--init-w``, ``--predict`` and ``--patience`` against a model of ``d`` features."""
    if args.no_bias and args.init_b is not None:
        raise UsageError("--init-b needs a bias; drop --no-bias or --init-b")
    if args.init_w is not None and len(args.init_w) not in (1, d):
        raise UsageError(f"--init-w takes 1 number or {d} (one per feature), got {len(args.init_w)}")
    if args.predict is not None and len(args.predict) % d:
        raise UsageError(f"--predict takes {d} numbers per sample (one per feature), got {len(args.predict)}")
    if args.patience < 1:
        raise UsageError(f"--patience must be at least 1, got {args.patience}")


def predictions(model: Any, args: argparse.Namespace, d: int) -> Predicted | None:
    """The model's predictions at ``--predict`` (``d`` numbers per sample); an overflow is an error."""
    if args.predict is None:
        return None
    inputs = [args.predict[i : i + d] for i in range(0, len(args.predict), d)]
    preds = [float(v) for v in model.predict(inputs)]
    for x, pred in zip(inputs, preds):
        if not math.isfinite(pred):
            raise UsageError(f"--predict {' '.join(map(repr, x))}: the prediction is {pred} (overflow)")
    return inputs, preds


def print_predictions(predicted: Predicted | None, features: Sequence[str]) -> None:
    if predicted is None:
        return
    for x, pred in zip(*predicted):
        xs = ", ".join(f"{f}={v:g}" for f, v in zip(features, x))
        print(f"prediction at {xs}: {pred!r}")


def result_json(
    model: Any,
    history: Any,
    args: argparse.Namespace,
    *,
    optimizer: str,
    lr: float | None,
    n_samples: int | None,
    features: Sequence[str],
    target: str,
    **extra: object,
) -> dict[str, object]:
    """The fields every ``fit --json`` has: parameters, losses, the run's settings, the data's names."""
    w = [float(v) for v in model.weights]
    out: dict[str, object] = {"w": w[0] if len(w) == 1 else w}
    if model.intercept is not None:
        out["b"] = model.intercept
    out.update(
        loss=history.final_loss,
        initial_loss=history.initial_loss,
        epochs=history.epochs,
        updates=history.updates,
        optimizer=optimizer,
        lr=lr,
        loss_fn=args.loss,
        engine=args.engine,
        n_samples=n_samples,
        **extra,
        features=list(features),
        target=target,
        losses=history.losses,
    )
    return out
