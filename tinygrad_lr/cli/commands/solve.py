"""``tinygrad-lr solve``: the closed-form least-squares (or ridge) answer for a CSV, no training."""

from __future__ import annotations

import argparse
from typing import Any

from ..data_options import add_data_options, load_data
from ..fit_options import add_l2_option, add_loss_option, fit_options
from ..output import strict_json

HELP_ORDER = 40  # where `tinygrad-lr --help` lists this command


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "solve",
        help="the exact least-squares (or ridge) parameters of linear regression on a CSV",
        description="Solve the normal equations A^T A theta = A^T y (A = [X, 1]) by least squares and "
        "print the parameters, the loss at them and the condition number that decides how hard the "
        "problem is for gradient descent. With --l2, ridge regression's (A^T A + c*l2*D) theta = A^T y "
        "(c = n for MSE, 1 for SSE; the bias is not penalised). The CSV options are those of fit.",
    )
    add_data_options(p)
    p.add_argument("--no-bias", action="store_true", help="solve y = w*x, without b")
    add_loss_option(p, help="the loss reported (default mse)", squared_only=True)
    add_l2_option(p, help="ridge strength: adds l2 * sum w_j^2 (default 0)")
    p.add_argument(
        "--standardize", action="store_true", help="also show the solution on standardized features"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=run)


def _bound(value: float) -> float | None:
    """A condition number or stable-lr bound for JSON: ``None`` (null) where it is infinite.

    An infinite condition number (singular data: a constant or repeated feature) or an infinite
    stable lr (a zero Hessian) is a true answer, not a failed computation; JSON has no token for
    it, so it is ``null`` and the docs say what that means. Anything else that is not finite is
    an error (:func:`strict_json`)."""
    return None if value == float("inf") else value


def _condition_text(sol: Any) -> str:
    """The Hessian's condition number in words: ``inf`` for a singular one, and for a unique answer
    whose condition number is beyond float64's precision (a huge ridge term), says so."""
    kappa = sol.hessian_condition_number
    if kappa == float("inf") and sol.unique:
        return "inf to float64's precision (the answer is still unique: the ridge term pins it down)"
    return f"{kappa:.6g}"


def run(args: argparse.Namespace) -> int:
    from ...closed_form import lstsq
    from ...models import max_stable_lr
    from ...scaling import Standardizer

    fit_options(args, "loss", "l2")  # checked as fit checks them
    data = load_data(args)
    bias = not args.no_bias
    sol = lstsq(data.X, data.y, bias=bias, loss=args.loss, l2=args.l2)
    w = [float(v) for v in sol.weights]
    lr_max = max_stable_lr(data.X, args.loss, bias, l2=args.l2)  # the Hessian of the loss solved
    std = None
    if args.standardize:  # without b, scaled and not centred: the same model as fit --standardize
        scaler = Standardizer.fit(data.X, data.feature_names, center=bias)
        Z = scaler.transform(data.X)
        std = (
            lstsq(Z, data.y, bias=bias, loss=args.loss, l2=args.l2),
            max_stable_lr(Z, args.loss, bias, l2=args.l2),
        )
    unique = sol.unique
    if args.json:
        out: dict[str, object] = {"w": w[0] if len(w) == 1 else w}
        if bias:
            out["b"] = sol.intercept
        out.update(
            loss=sol.loss,
            loss_fn=args.loss,
            l2=args.l2,
            n_samples=data.n_samples,
            features=list(data.feature_names),
            target=data.target_name,
            condition_number=_bound(sol.condition_number),
            hessian_condition_number=_bound(sol.hessian_condition_number),
            max_stable_lr=_bound(lr_max),
            unique=unique,
        )
        if std is not None:
            zw = [float(v) for v in std[0].weights]
            out["standardized"] = {
                "w": zw[0] if len(zw) == 1 else zw,
                "b": std[0].intercept,
                "hessian_condition_number": _bound(std[0].hessian_condition_number),
                "max_stable_lr": _bound(std[1]),
            }
        print(strict_json(out))
        return 0
    names = ["w"] if len(w) == 1 else [f"w{j + 1}" for j in range(len(w))]
    kind = f"ridge, l2 = {args.l2:g}" if args.l2 else "least squares"
    features = ("feature " if len(w) == 1 else "features ") + ", ".join(data.feature_names)
    print(f"data: {args.csv}: {data.n_samples} samples, {features} -> target {data.target_name}")
    print(
        f"closed form ({kind}): "
        + ", ".join(f"{n} = {v!r}" for n, v in zip(names, w))
        + (f", b = {sol.intercept!r}" if bias else "")
    )
    print(f"{args.loss.upper()} at the minimum: {sol.loss!r}")
    print(
        f"condition number of the loss's Hessian: {_condition_text(sol)}; "
        f"largest stable GD lr: {lr_max:.6g}"
    )
    if not unique:
        print(sol.uniqueness_note(data.n_samples))
    if std is not None:
        zw = std[0].weights.tolist()
        print(
            "on standardized features: "
            + ", ".join(f"{n} = {v!r}" for n, v in zip(names, zw))
            + (f", b = {std[0].intercept!r}" if bias else "")
            + f"; Hessian condition number {_condition_text(std[0])}, "
            + f"largest stable GD lr {std[1]:.6g}"
        )
    return 0
