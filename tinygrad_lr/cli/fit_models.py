"""The models ``tinygrad-lr fit`` trains (``--model linear`` or ``logistic``): what differs between
them on the command line -- the loss, the targets, the default learning rate, the metrics, how a
prediction reads. Everything else (the run, the report) is the same for both."""

from __future__ import annotations

import argparse
from typing import Any

from .errors import UsageError

__all__ = [
    "MODELS",
    "add_model_option",
    "resolve_loss",
    "make_model",
    "model_lr",
    "metrics",
    "metrics_text",
    "classes",
    "answer_name",
    "prediction_text",
]

MODELS = ("linear", "logistic")


def add_model_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        choices=MODELS,
        default="linear",
        help="linear: regression y = b + w1*x1 + ... (default); logistic: classification of targets "
        "0 or 1 with p(y = 1) = sigmoid(b + w1*x1 + ...), trained with the binary cross-entropy",
    )


def _logistic(args: argparse.Namespace) -> bool:
    return getattr(args, "model", "linear") == "logistic"


def resolve_loss(args: argparse.Namespace) -> None:
    """``args.loss``: the one given, or the model's own (mse, or bce for logistic); a loss that does
    not suit the model is a one-line error."""
    own = "bce" if _logistic(args) else "mse"
    if args.loss is None:
        args.loss = own
    elif _logistic(args) and args.loss != "bce":
        raise UsageError(
            "--model logistic is trained with --loss bce (the binary cross-entropy of its logits), "
            f"not {args.loss}"
        )
    elif args.loss == "bce" and not _logistic(args):
        raise UsageError("--loss bce (binary cross-entropy) is the loss of --model logistic; add it")


def classes(args: argparse.Namespace) -> tuple[float, ...] | None:
    """The values the target column may hold: (0, 1) for logistic regression, else any number."""
    return (0.0, 1.0) if _logistic(args) else None


def make_model(args: argparse.Namespace, n_features: int) -> Any:
    """The model ``--model`` names, with ``--no-bias``, ``--init-w``, ``--init-b`` and ``--engine``."""
    from ..logistic import LogisticRegression
    from ..models import LinearRegression

    cls = LogisticRegression if _logistic(args) else LinearRegression
    return cls(n_features, bias=not args.no_bias, w=args.init_w, b=args.init_b, engine=args.engine)


def model_lr(args: argparse.Namespace, X: Any, name: str, bias: bool) -> float | None:
    """The default learning rate: half the largest stable one (see ``fit_options.auto_lr``); for
    logistic regression the BCE's curvature is at most a quarter of ``A^T A / n`` (``p (1 - p) <= 1/4``),
    an eighth of the MSE's ``2 A^T A / n``, so every limit is 8 times the MSE's: a bound that holds
    everywhere, not only at the minimum (:func:`~tinygrad_lr.models.max_stable_lr` with ``"bce"``)."""
    from .fit_options import auto_lr

    return auto_lr(name, X, args.loss, bias)


def metrics(args: argparse.Namespace, model: Any, X: Any, y: Any) -> dict[str, Any]:
    """How good the model is on ``(X, y)``: R^2, MSE, RMSE, MAE for regression; accuracy, log-loss
    and the confusion matrix for classification."""
    from ..metrics import classification_metrics, regression_metrics

    if _logistic(args):
        return classification_metrics(y, model.decision_function(X))
    return regression_metrics(y, model.predict(X))


def metrics_text(m: dict[str, Any]) -> str:
    """One line of :func:`metrics`."""
    if "accuracy" in m:
        (tn, fp), (fn, tp) = m["confusion_matrix"]
        return (
            f"accuracy {m['accuracy']:.6g}, log-loss {m['log_loss']:.6g}, confusion matrix "
            f"[[TN, FP], [FN, TP]] = [[{tn}, {fp}], [{fn}, {tp}]]"
        )
    return f"R^2 {m['r2']:.6g}, MSE {m['mse']:.6g}, RMSE {m['rmse']:.6g}, MAE {m['mae']:.6g}"


def answer_name(args: argparse.Namespace) -> str:
    """What the answer a run is compared with is called in the report."""
    if _logistic(args):
        return "Newton's method on the formulas (IRLS)" + (f", l2 = {args.l2:g}" if args.l2 else "")
    return f"closed form (ridge, l2 = {args.l2:g})" if args.l2 else "closed form (least squares)"


def prediction_text(args: argparse.Namespace, output: float) -> str:
    """What a prediction says: the number, or for a classifier (``output`` is then the logit) the
    probability of class 1 and the class."""
    if not _logistic(args):
        return repr(output)
    from ..logistic import sigmoid

    return f"p(class 1) = {float(sigmoid(output))!r}, class {int(output > 0.0)} (logit z = {output!r})"
