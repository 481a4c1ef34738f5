"""What ``fit`` and ``fit --stream`` report: the model options' checks, predictions at ``--predict``,
the verdict on convergence, the text report and the JSON result."""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..logistic import sigmoid
from ..train.hints import advice
from .errors import UsageError
from .fit_models import answer_name, metrics_text, prediction_text

__all__ = [
    "FitResult",
    "check_model_options",
    "judge",
    "predictions",
    "print_predictions",
    "print_report",
    "report_json",
    "result_json",
]

Predicted = tuple[list[list[float]], list[float]]  # the --predict inputs and the model's outputs


def check_model_options(args: argparse.Namespace, d: int) -> None:
    """``--init-b``, ``--init-w`` and ``--predict`` against a model of ``d`` features."""
    if args.no_bias and args.init_b is not None:
        raise UsageError("--init-b needs a bias; drop --no-bias or --init-b")
    if args.init_w is not None and len(args.init_w) not in (1, d):
        raise UsageError(f"--init-w takes 1 number or {d} (one per feature), got {len(args.init_w)}")
    if args.predict is not None and len(args.predict) % d:
        raise UsageError(f"--predict takes {d} numbers per sample (one per feature), got {len(args.predict)}")


def predictions(model: Any, args: argparse.Namespace, d: int) -> Predicted | None:
    """The model's predictions at ``--predict`` (``d`` numbers per sample); an overflow is an error."""
    if args.predict is None:
        return None
    inputs = [args.predict[i : i + d] for i in range(0, len(args.predict), d)]
    preds = [float(v) for v in model.outputs(inputs)]  # a prediction (a logit for --model logistic)
    for x, pred in zip(inputs, preds):
        if not math.isfinite(pred):
            raise UsageError(f"--predict {' '.join(map(repr, x))}: the prediction is {pred} (overflow)")
    return inputs, preds


def print_predictions(
    predicted: Predicted | None, features: Sequence[str], args: argparse.Namespace | None = None
) -> None:
    if predicted is None:
        return
    for x, pred in zip(*predicted):
        xs = ", ".join(f"{f}={v:g}" for f, v in zip(features, x))
        said = repr(pred) if args is None else prediction_text(args, pred)
        print(f"prediction at {xs}: {said}")


def judge(history: Any, tol: float) -> None:
    """A run given no tolerance to stop at is judged at its end: converged if the final gradient
    norm is at most ``tol`` (and from which epoch on, when every epoch's norm is known)."""
    if history.converged is not None:
        return
    history.converged = history.final_grad_norm <= tol
    sign = "<=" if history.converged else ">"
    history.stop_reason = (
        f"{'converged' if history.converged else 'NOT converged'}: gradient norm "
        f"{history.final_grad_norm:.3g} {sign} {tol:g} after {history.epochs} epochs"
    )
    norms = history.grad_norms
    if history.converged and norms and len(norms) == history.epochs:
        first = len(norms)  # the first epoch from which the norm stayed below the tolerance
        while first > 1 and norms[first - 2] <= tol:
            first -= 1
        history.converged_epoch = first
        history.stop_reason += f", from epoch {first} on (--tol {tol:g} stops there)"


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


@dataclass
class FitResult:
    """Everything the report of an in-memory ``fit`` says: the data, the run and its answer."""

    args: argparse.Namespace
    data: Any  # the whole Dataset
    train: Any  # the rows trained on
    test: tuple[Any, Any] | None  # the held-out (X, y)
    model: Any
    optimizer: Any
    name: str  # the optimizer's name on the command line
    lr: float | None  # the lr the optimizer was built with (None: the rule's own default)
    schedule: Any
    history: Any
    closed_form: Any
    metrics: dict[str, dict[str, Any]] | None
    predicted: Predicted | None

    @property
    def notes(self) -> list[str]:
        """What the run's History says a learner should know (separable classes ...)."""
        return list(getattr(self.history, "notes", []))


def report_json(r: FitResult) -> dict[str, object]:
    """The result as one JSON object (``fit --json``)."""
    args, h, cf, d = r.args, r.history, r.closed_form, r.data
    out = result_json(
        r.model, h, args, optimizer=r.name, lr=r.lr, n_samples=d.n_samples,
        features=d.feature_names, target=d.target_name,
    )  # fmt: skip
    out.update(
        converged=bool(h.converged),
        converged_epoch=h.converged_epoch,
        stop_reason=h.stop_reason,
        grad_norm=h.final_grad_norm,
        standardized=bool(args.standardize),
        l1=args.l1,
        l2=args.l2,
    )
    if cf is not None:
        cw = [float(v) for v in cf.weights]
        closed: dict[str, object] = {"w": cw[0] if d.n_features == 1 else cw}
        if cf.intercept is not None:
            closed["b"] = cf.intercept
        closed["loss"] = cf.loss
        if hasattr(cf, "unique"):  # least squares: whether the data pin the answer down
            closed["unique"] = cf.unique
        out["closed_form"] = closed
        out["param_distance"] = float(np.linalg.norm(h.original_params - cf.param_vector()))
        out["loss_gap"] = h.final_loss - cf.loss
    if r.test is not None:
        out["n_train"], out["n_test"] = r.train.n_samples, int(r.test[1].size)
    if r.metrics is not None:
        out["metrics"] = r.metrics
    if r.notes:
        out["notes"] = r.notes
    if r.predicted is not None:
        out["inputs"], out["predictions"] = r.predicted
        if args.model == "logistic":  # the predictions are logits: their probabilities and classes too
            z = np.array(r.predicted[1])
            out["probabilities"] = sigmoid(z).tolist()
            out["classes"] = (z > 0.0).astype(int).tolist()
    return out


def print_report(r: FitResult) -> None:
    """The text report: the data, the model, the run, a short table of epochs, the answer."""
    args, d, h, model = r.args, r.data, r.history, r.model
    names = model.param_names()
    terms = [f"{n}*{f}" for n, f in zip(names, d.feature_names)]
    rhs = " + ".join(terms + (["b"] if model.intercept is not None else []))
    features = ("feature " if d.n_features == 1 else "features ") + ", ".join(d.feature_names)
    print(f"data: {args.csv}: {d.n_samples} samples, {features} -> target {d.target_name}")
    if r.test is not None:
        print(f"split: {r.train.n_samples} rows to train on, {r.test[1].size} held out (seed {args.seed})")
    out = f"{d.target_name} = {rhs}"
    if args.model == "logistic":
        out = f"p({d.target_name} = 1) = sigmoid({rhs})"
    print(f"model: {out}  (engine {args.engine})")
    penalty = "".join(
        [f" + {args.l1:g}*sum|w|" if args.l1 else "", f" + {args.l2:g}*sum w^2" if args.l2 else ""]
    )
    auto = (
        ""
        if args.lr is not None
        else " -- the default lr"
        + (": half the largest stable one" if r.optimizer.lr_scales_gradient else "")
    )
    schedule = f", schedule {r.schedule.describe()}" if r.schedule is not None else ""
    print(
        f"training: {r.optimizer.describe()}{auto}, {args.loss.upper()}{penalty} loss, {args.epochs} epochs "
        f"at most, {h.updates} updates{schedule}"
    )
    if args.standardize:
        stats = h.standardizer.describe(d.feature_names)
        print(f"standardized features (the table shows the parameters on them): {stats}")
    print(f"initial loss: {h.initial_loss:.10g}  at {_params(names, h.initial_params)}")
    show = len(names) <= 4
    print(f"{'epoch':>7}  {'loss':>16}" + ("".join(f"  {n:>14}" for n in names) if show else ""))
    for e in h.summary_rows(10):
        row = f"{e:>7}  {h.losses[e - 1]:>16.10g}"
        if show:
            row += "".join(f"  {v:>14.10g}" for v in h.epoch_params[e - 1])
        print(row)
    _print_answer(r, names)


def _print_answer(r: FitResult, names: list[str]) -> None:
    args, h, cf = r.args, r.history, r.closed_form
    units = " (in the data's units)" if args.standardize else ""
    print(f"final{units}: {_params(names, h.original_params)}")
    print(f"final loss: {h.final_loss!r}")
    print(h.stop_reason)
    for note in r.notes:
        print(f"note: {note}")
    if cf is not None:
        print(f"{answer_name(args)}: {_params(names, cf.param_vector())}, loss {cf.loss!r}")
        if not getattr(cf, "unique", True):
            print(cf.uniqueness_note(r.train.n_samples))
        dist = float(np.linalg.norm(h.original_params - cf.param_vector()))
        it = "Newton's" if args.model == "logistic" else "closed form"
        print(
            f"distance to it: |params - {it}| = {dist:.3g}, "
            f"loss - {it.replace(' ', '-')} loss = {h.final_loss - cf.loss:.3g}"
        )
        tip = advice(
            h, r.optimizer, r.train.X, args.loss, bias=model_bias(r.model), lr_given=args.lr is not None
        )
        if tip is not None:
            print(f"hint: {tip.text}; try {advice_flags(tip.changes)}")
    elif args.l1:
        print("closed form: none with an L1 term (lasso has no closed-form solution)")
    if r.metrics is not None:
        for part, m in r.metrics.items():
            print(f"{part:>5}: {metrics_text(m)}")
    print_predictions(r.predicted, r.data.feature_names, args)


def advice_flags(changes: dict[str, Any]) -> str:
    """fit's options as the command line's flags: ``{"standardize": True, "lr": 0.5}`` ->
    ``--standardize --lr 0.5``."""
    flags = []
    for name, value in changes.items():
        flag = "--" + name.replace("_", "-")
        flags.append(flag if value is True else f"{flag} {value:g}")
    return " ".join(flags)


def model_bias(model: object) -> bool:
    return bool(getattr(model, "bias", True))


def _params(names: Sequence[str], values: Iterable[float]) -> str:
    return ", ".join(f"{n} = {float(v)!r}" for n, v in zip(names, values))
