"""``tinygrad-lr theory``: predict what GD, momentum and Nesterov will do on a CSV, then run them."""

from __future__ import annotations

import argparse
import math
import textwrap
from typing import Any

from ...theory import number as num
from ..data_options import add_data_options, load_data
from ..errors import UsageError
from ..output import strict_json
from ..theory_runs import Outcome, Setting, run_engine, settings

MAX_STEPS = 10_000_000  # how far the theory scans for a momentum method's first step within --tol

HELP_ORDER = 45  # where `tinygrad-lr --help` lists this command
DEFAULT_TOL = 1e-6
DEFAULT_MAX_STEPS = 20_000  # the engine's runs stop here (the prediction is not limited)
PICTURES = ("landscape.png", "directions.png", "phase.png", "race.gif")  # replay.theory.PICTURES


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "theory",
        help="predict GD, momentum and Nesterov exactly from the loss's eigenvalues, then run them",
        description="The loss of linear regression is a quadratic bowl with one Hessian H = 2 A^T A / n "
        "(A = [X, 1]; 2 A^T A for --loss sse). Along each eigen-direction of H, gradient descent "
        "multiplies the error by exactly 1 - lr*lambda_i per step; momentum and Nesterov follow a 2x2 "
        "recurrence per direction. This prints H's eigenvalues and condition number, the stable and "
        "the best learning rate, Polyak's best momentum, each direction's factor, and the number of "
        "steps to bring the loss within --tol of its minimum from w = b = 0 (or --init-w/--init-b): "
        "predicted, then counted on the engine's own run (fit with the project's optimizers). "
        "The CSV options are those of fit.",
    )
    add_data_options(p)
    p.add_argument("--no-bias", action="store_true", help="the model y = w*x, without b")
    p.add_argument("--loss", choices=["mse", "sse"], default="mse", help="the loss (default mse)")
    p.add_argument("--standardize", action="store_true", help="take the features as (x - mean) / std")
    p.add_argument(
        "--lr",
        type=float,
        help="learning rate (default: each method's best: GD's fixed lr, Polyak's, the tuned Nesterov)",
    )
    p.add_argument(
        "--momentum", type=float, metavar="MU", help="momentum in [0, 1) (default: each method's best)"
    )
    p.add_argument(
        "--tol",
        type=float,
        default=DEFAULT_TOL,
        help="how close to its minimum the loss must get (default 1e-6)",
    )
    p.add_argument(
        "--init-w", type=float, nargs="+", metavar="W", help="start: one weight, or one per feature"
    )
    p.add_argument("--init-b", type=float, metavar="B", help="start: the bias (default 0)")
    p.add_argument(
        "--max-steps",
        type=int,
        metavar="N",
        default=DEFAULT_MAX_STEPS,
        help=f"the engine's runs stop after this many steps (default {DEFAULT_MAX_STEPS})",
    )
    p.add_argument(
        "--engine",
        choices=["value", "tensor"],
        default="tensor",
        help="the engine that runs (default tensor)",
    )
    p.add_argument(
        "--plot",
        metavar="DIR",
        help="also draw " + ", ".join(PICTURES) + " into DIR (created; its folder must exist)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=run)


def _start(args: argparse.Namespace, d: int, bias: bool) -> list[float]:
    if args.no_bias and args.init_b is not None:
        raise UsageError("--init-b needs a bias; drop --no-bias or --init-b")
    w = [0.0] * d if args.init_w is None else list(args.init_w)
    if len(w) not in (1, d):
        raise UsageError(f"--init-w takes 1 number or {d} (one per feature), got {len(w)}")
    w = w * d if len(w) == 1 else w
    return w + ([args.init_b or 0.0] if bias else [])


def _check(args: argparse.Namespace) -> None:
    if not args.tol > 0:
        raise UsageError(f"--tol must be a number > 0, got {args.tol}")
    if args.max_steps < 1:
        raise UsageError(f"--max-steps must be a whole number >= 1, got {args.max_steps}")
    if args.lr is not None and not args.lr > 0:
        raise UsageError(f"--lr must be a number > 0, got {args.lr}")
    if args.momentum is not None and not 0 <= args.momentum < 1:
        raise UsageError(f"--momentum must be a number in [0, 1), got {args.momentum}")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ...theory import quadratic

    _check(args)
    if args.plot is not None:
        from ...replay.theory import check_pictures_folder

        check_pictures_folder(args.plot)  # before any work: a bad folder costs nothing
    data = load_data(args)
    q = quadratic(data, bias=not args.no_bias, loss=args.loss, standardize=args.standardize)
    if not q.lambda_max > 0:
        raise UsageError("every feature is 0 and there is no bias: the loss does not depend on w at all")
    start = np.array(_start(args, data.n_features, q.bias))
    runs, note = settings(q, args.lr, args.momentum)
    results = []
    for s in runs:
        extra = {} if s.method == "gd" else {"momentum": s.momentum}
        predicted = q.steps_to(args.tol, s.method, s.lr, start=start, max_steps=MAX_STEPS, **extra)
        path = q.predict(s.method, s.lr, args.max_steps, start=start, **extra)
        outcome = run_engine(q, s, start, args.tol, args.max_steps, args.engine, predicted)
        results.append((s, predicted, path, outcome))
    pictures = _draw(args, q, start, results) if args.plot else []
    if args.json:
        print(strict_json(_json(args, data, q, start, results, note, pictures)))
    else:
        _print(args, data, q, start, results, note, pictures)
    return 0


def _draw(args: argparse.Namespace, q: Any, start: Any, results: list) -> list[str]:
    from ...replay.theory import theory_pictures

    runs = [(s.method, s.lr, s.momentum, _converged(o)) for s, _, _, o in results]
    return theory_pictures(q, args.plot, runs, start=start, engine=args.engine, tol=args.tol)


def _converged(o: Outcome) -> bool | None:
    """What the engine's run showed: reached the tolerance, blew up, or neither within its steps."""
    return True if o.steps is not None else (False if o.diverged_at is not None else None)


def _null(x: float) -> float | None:
    """An infinite bound (a singular or zero Hessian) is a true answer JSON has no token for: null."""
    return None if x == math.inf else x


def _vector(q: Any, v: Any) -> str:
    return "(" + ", ".join(f"{n} {x:.4g}" for n, x in zip(q.param_names, v)) + ")"


def _print_bowl(args: argparse.Namespace, data: Any, q: Any) -> None:
    L = args.loss.upper()
    cols = ", ".join(data.feature_names) + (", 1" if q.bias else "")
    scaled = " (standardized: (x - mean) / std)" if args.standardize else ""
    rows = f"{data.n_samples} sample{'s' if data.n_samples != 1 else ''}"
    names = ", ".join(data.feature_names)
    print(f"data: {args.csv}: {rows}, features {names} -> target {data.target_name}{scaled}")
    n = "" if args.loss == "sse" else " / n"
    print(f"loss {L}; its Hessian H = 2 A^T A{n} with A = [{cols}], the same at every point:")
    for i, (lam, vec) in enumerate(zip(q.eigenvalues, q.eigenvectors.T), 1):
        print(f"  eigenvalue lambda_{i} = {num(lam)}, eigen-direction {_vector(q, vec)}")
    kappa = "inf (H is singular)" if not q.unique else num(q.condition_number)
    print(f"condition number lambda_max / lambda_min: {kappa}")
    star = ", ".join(f"{n} = {v:.6g}" for n, v in zip(q.param_names, q.theta_star))
    print(f"least squares: {star}; {L} at the minimum {num(q.loss_star)}")
    if not q.unique:
        print("not unique: the data do not pin the parameters down (one row, or a constant or repeated")
        print("  feature); the loss still converges, and GD ends at the least-squares vector nearest its")
        print("  start (it never moves along a flat direction); rates are over the other directions")
    print(f"gradient descent: stable for 0 < lr < 2 / lambda_max = {num(q.max_lr())}")
    print(
        f"  best fixed lr 2 / (lambda_min + lambda_max) = {q.best_lr():.6g}, rate {num(q.rate(q.best_lr()))}"
    )
    lr, mu = q.polyak()
    if mu > 0:
        print(
            f"momentum: Polyak's best lr {lr:.6g}, momentum {mu:.6g}, rate {num(q.rate(lr, 'momentum', mu))}"
        )
        lr, mu = q.nesterov_best()
        print(
            f"  Nesterov's tuned best lr {lr:.6g}, momentum {mu:.6g}, rate {num(q.rate(lr, 'nesterov', mu))}"
        )
    print("(a rate is the factor by which the slowest direction's error shrinks per step)")


def _print(
    args: argparse.Namespace,
    data: Any,
    q: Any,
    start: Any,
    results: list,
    note: str | None,
    pictures: list[str],
) -> None:
    from ...theory import METHOD_TITLES

    _print_bowl(args, data, q)
    if note:
        print(textwrap.fill(note, 100, subsequent_indent="  "))
    L = args.loss.upper()
    at = ", ".join(f"{n} = {v:g}" for n, v in zip(q.param_names, start))
    print(f"steps to {L} - {L}* <= {args.tol:g} from {at}: predicted, then run")
    print(f"(fit with the project's optimizers on the {args.engine} engine, at most {args.max_steps} steps):")
    rounding = 100 * 2.2e-16 * max(abs(q.loss(start)), abs(q.loss_star))
    if args.tol < rounding:
        print(
            f"  (--tol {args.tol:g} is near float64's rounding of this loss, ~{rounding:.1g}: the engine's "
            "loss may never show a gap that small)"
        )
    for s, predicted, path, outcome in results:
        extra = "" if s.method == "gd" else f", momentum {s.momentum:.6g}"
        print(f"  {METHOD_TITLES[s.method]}, lr {s.lr:.6g}{extra} ({s.why}):")
        if s.method == "gd":
            factors = ", ".join(num(f) for f in path.factors)
            print(f"    per direction 1 - lr*lambda_i = {factors}; rate {num(path.rate)}")
        else:
            radii = ", ".join(num(r) for r in path.radii)
            print(f"    per direction (the 2x2 recurrence's spectral radius) {radii}; rate {num(path.rate)}")
        print("    " + _verdict(q, predicted, path, outcome, args.max_steps))
    for name in pictures:
        print(f"picture: {name}")


def _verdict(q: Any, predicted: int | None, path: Any, outcome: Outcome, limit: int) -> str:
    """``predicted 1792, actual 1792``, or why there is no such step."""
    if predicted == 0:  # the start is within the tolerance: nothing to run, whatever the rate
        return f"predicted 0 (the start is within the tolerance), actual {outcome.steps}"
    if not path.converges:
        over = q.overflow_step(path)
        where = (
            f"the loss overflows float64 at step {over}" if over is not None else f"not within {limit} steps"
        )
        seen = f"diverged at step {outcome.diverged_at}" if outcome.diverged_at is not None else "did not"
        if path.rate > 1:
            return f"diverges (rate {num(path.rate)} > 1): predicted {where}; actual: {seen}"
        return f"does not converge (rate 1: a direction never shrinks): predicted {where}; actual: {seen}"
    p = f"predicted {predicted}" if predicted is not None else f"predicted: not within {MAX_STEPS} steps"
    if outcome.steps is not None:
        return f"{p}, actual {outcome.steps}"
    gap = float(path.gaps[outcome.ran])
    return (
        f"{p}; actual: not within {outcome.ran} steps (--max-steps): the gap then {outcome.gap:.4g} "
        f"(predicted {gap:.4g})"
    )


def _json(
    args: argparse.Namespace,
    data: Any,
    q: Any,
    start: Any,
    results: list,
    note: str | None,
    pictures: list[str],
) -> dict[str, Any]:
    lr, mu = q.polyak()
    n_lr, n_mu = q.nesterov_best()
    out: dict[str, Any] = {
        "data": args.csv,
        "n_samples": data.n_samples,
        "features": list(data.feature_names),
        "target": data.target_name,
        "loss_fn": args.loss,
        "bias": q.bias,
        "standardized": bool(args.standardize),
        "hessian": q.hessian.tolist(),
        "eigenvalues": q.eigenvalues.tolist(),
        "eigenvectors": q.eigenvectors.T.tolist(),
        "condition_number": _null(q.condition_number),
        "unique": q.unique,
        "least_squares": dict(zip(q.param_names, q.theta_star.tolist())) | {"loss": q.loss_star},
        "max_stable_lr": _null(q.max_lr()),
        "best_lr": q.best_lr(),
        "best_lr_rate": q.rate(q.best_lr()),
        "polyak": {"lr": lr, "momentum": mu, "rate": q.rate(lr, "momentum", mu) if mu > 0 else 0.0},
        "nesterov_best": {
            "lr": n_lr,
            "momentum": n_mu,
            "rate": q.rate(n_lr, "nesterov", n_mu) if n_mu > 0 else 0.0,
        },
        "tol": args.tol,
        "start": dict(zip(q.param_names, start.tolist())),
        "max_steps": args.max_steps,
        "engine": args.engine,
        "runs": [_run_json(q, *r) for r in results],
    }
    if note:
        out["note"] = note
    if pictures:
        out["pictures"] = pictures
    return out


def _run_json(q: Any, s: Setting, predicted: int | None, path: Any, outcome: Outcome) -> dict[str, Any]:
    gap_ok = outcome.ran <= path.steps and math.isfinite(outcome.gap)
    return {
        "method": s.method,
        "lr": s.lr,
        "momentum": s.momentum,
        "chosen_by": s.why,
        "factors": None if path.factors is None else path.factors.tolist(),
        "radii": path.radii.tolist(),
        "rate": path.rate,
        "converges": path.converges,
        "max_stable_lr": _null(_max_lr(path)),
        "predicted_steps": predicted,
        "actual_steps": outcome.steps,
        "steps_run": outcome.ran,
        "predicted_gap": float(path.gaps[outcome.ran]) if gap_ok else None,
        "actual_gap": outcome.gap if gap_ok else None,
        "predicted_overflow_step": q.overflow_step(path),
        "actual_divergence_step": outcome.diverged_at,
    }


def _max_lr(path: Any) -> float:
    from ...theory.recurrence import max_stable_lr

    return max_stable_lr(float(path.eigenvalues[-1]), path.method, path.momentum)
