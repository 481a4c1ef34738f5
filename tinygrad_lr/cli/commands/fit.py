"""``tinygrad-lr fit``: train linear regression on a CSV."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from ..data_options import add_data_options, load_data
from ..errors import UsageError
from ..fit_report import check_model_options, predictions, print_predictions, result_json
from ..fit_stream import add_stream_options, run_stream
from ..output import strict_json

OPTIMIZER_NAMES = [
    "gd", "sgd", "minibatch", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "newton"
]
_OWN_DEFAULT_LR = ("adagrad", "rmsprop", "adam", "adamw", "newton")  # PyTorch's default; Newton's full step 1
DEFAULT_TOL = 1e-8


HELP_ORDER = 30  # where `tinygrad-lr --help` lists this command


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="train linear regression on a CSV with GD, SGD, mini-batch, momentum, Adam ...",
        description="Load a numeric CSV (by default: no header unless the first row is not numeric; "
        "the last column is the target, the others are features), train y = b + w1*x1 + ... + wn*xn "
        "by backpropagation, and print the initial loss, a short per-epoch table, the final "
        "parameters and loss, whether the run converged, and the closed-form least-squares answer "
        "with the distance to it. Columns are chosen by 0-based index (negative from the end) or by "
        "header name; positions in error messages are 1-based, as an editor shows them.",
    )
    add_data_options(p)
    add_stream_options(p)
    p.add_argument("--no-bias", action="store_true", help="fit y = w*x, without b")
    p.add_argument(
        "--optimizer",
        choices=OPTIMIZER_NAMES,
        default=None,
        help="gd: all samples per update; sgd: one; minibatch: --batch-size; momentum, nesterov, adagrad, "
        "rmsprop, adam, adamw: those update rules on all samples, or on --batch-size samples; newton: "
        "theta <- theta - lr * H^-1 g with the Hessian H by autodiff, one step to least squares at lr 1 "
        "(default gd, or minibatch when --batch-size is given)",
    )
    p.add_argument(
        "--batch-size", type=int, help="samples per update (alone, it means --optimizer minibatch)"
    )
    p.add_argument(
        "--shuffle",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="a new random order of the samples every epoch (with batches; default: in order)",
    )
    p.add_argument("--replacement", action="store_true", help="draw samples at random with replacement")
    p.add_argument("--drop-last", action="store_true", help="skip the last, short mini-batch of an epoch")
    p.add_argument("--seed", type=int, default=0, help="seed for shuffling and --test-split (default 0)")
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate (default: for gd, minibatch, momentum, nesterov 1/lambda_max, half the largest "
        "stable lr; for sgd half the one-sample limit; for adagrad, rmsprop, adam, adamw PyTorch's default; "
        "for newton 1)",
    )
    p.add_argument("--momentum", type=float, help="momentum mu (momentum, nesterov: default 0.9; rmsprop: 0)")
    p.add_argument(
        "--betas", type=float, nargs=2, metavar=("B1", "B2"), help="adam, adamw (default 0.9 0.999)"
    )
    p.add_argument(
        "--eps", type=float, help="the eps added to sqrt(s) (adagrad 1e-10; rmsprop, adam, adamw 1e-8)"
    )
    p.add_argument(
        "--weight-decay",
        type=float,
        help="weight decay as torch.optim applies it (added to the gradient; adamw: decoupled, default 0.01)",
    )
    p.add_argument(
        "--schedule",
        metavar="SPEC",
        help="learning-rate schedule: step:STEP_SIZE[:GAMMA], exponential:GAMMA, cosine[:T_MAX[:ETA_MIN]], "
        "warmup[:ITERS[:START_FACTOR]]",
    )
    p.add_argument("--epochs", type=int, default=100, help="passes over the data, at most (default 100)")
    p.add_argument(
        "--tol",
        type=float,
        help="stop as soon as the gradient norm of the loss is at most this (default: run every epoch, "
        f"then call the run converged if the final gradient norm is at most {DEFAULT_TOL:g})",
    )
    p.add_argument(
        "--loss-tol", type=float, help="also stop when an epoch changes the loss by at most this fraction"
    )
    p.add_argument(
        "--loss", choices=["mse", "sse"], default="mse", help="mean or sum of squared errors (default mse)"
    )
    p.add_argument("--l1", type=float, default=0.0, help="add l1 * sum |w_j| to the loss (lasso; default 0)")
    p.add_argument("--l2", type=float, default=0.0, help="add l2 * sum w_j^2 to the loss (ridge; default 0)")
    p.add_argument(
        "--standardize",
        action="store_true",
        help="train on (x - mean) / std; the coefficients are reported in the data's units",
    )
    p.add_argument(
        "--test-split",
        type=float,
        metavar="FRACTION",
        help="hold out this fraction of the rows (seeded by --seed); print R^2, MSE, RMSE, MAE of each part",
    )
    p.add_argument(
        "--init-w",
        type=float,
        nargs="+",
        metavar="W",
        help="initial weight(s): one, or one per feature (default 0)",
    )
    p.add_argument("--init-b", type=float, help="initial bias (default 0)")
    p.add_argument(
        "--engine",
        choices=["value", "tensor"],
        default="value",
        help="value: a scalar graph per sample, to study; tensor: vectorised, for big data (default value)",
    )
    p.add_argument(
        "--patience",
        type=int,
        default=5,
        help="stop when the loss grows this many epochs in a row (default 5)",
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="trace the training step once and run it as generated code (same numbers, no graph per step)",
    )
    p.add_argument("--predict", type=float, nargs="+", metavar="X", help="also predict these inputs")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on stderr (default: only for long runs on a terminal)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument(
        "--replay",
        metavar="DIR",
        help="also record every update and write DIR/index.html, a page that replays the training "
        "(graph, line, landscape, loss curve) step by step, and DIR/updates.csv",
    )
    p.add_argument(
        "--replay-axes",
        nargs=2,
        metavar="PARAM",
        help="the two parameters the replay's landscape is drawn over (default w b, or w1 w2)",
    )
    p.set_defaults(func=run)


def _check_number(option: str, value: float | None, low: float = 0.0) -> None:
    if value is not None and not (math.isfinite(value) and value >= low):
        raise UsageError(f"{option} must be a finite number >= {low:g}, got {value}")


def _options(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """The update rule's own settings given on the command line, checked against the rule."""
    given = {
        "--momentum": ("momentum", args.momentum),
        "--betas": ("betas", None if args.betas is None else tuple(args.betas)),
        "--eps": ("eps", args.eps),
        "--weight-decay": ("weight_decay", args.weight_decay),
    }
    takes = {
        "momentum": {"--momentum", "--weight-decay"},
        "nesterov": {"--momentum", "--weight-decay"},
        "adagrad": {"--eps", "--weight-decay"},
        "rmsprop": {"--momentum", "--eps", "--weight-decay"},
        "adam": {"--betas", "--eps", "--weight-decay"},
        "adamw": {"--betas", "--eps", "--weight-decay"},
    }.get(name, set())
    out = {}
    for option, (key, value) in given.items():
        if value is None:
            continue
        if option not in takes:
            raise UsageError(f"{option} does not apply to --optimizer {name}")
        out[key] = value
    return out


def _auto_lr(name: str, X: Any, loss: str, bias: bool) -> float | None:
    """The default lr: half the largest stable one for GD-like rules; PyTorch's for adaptive ones."""
    from ...models import max_stable_lr

    if name in _OWN_DEFAULT_LR:
        return None
    limit = max_stable_lr(X, loss, bias, batch_size=1 if name == "sgd" else None)
    return 0.5 * limit if math.isfinite(limit) else 0.01


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ...closed_form import lstsq
    from ...data import from_arrays, train_test_split
    from ...metrics import regression_metrics
    from ...models import LinearRegression
    from ...optim import make_optimizer, make_scheduler
    from ...scaling import Standardizer
    from ...train import fit

    if args.stream:  # data larger than memory: read in chunks on every pass
        return run_stream(args, _options(args, args.optimizer or ("minibatch" if args.batch_size else "gd")))
    if args.chunk_rows is not None:
        raise UsageError("--chunk-rows needs --stream")
    data = load_data(args)
    d = data.n_features
    check_model_options(args, d)
    _check_number("--tol", args.tol)
    _check_number("--loss-tol", args.loss_tol)
    _check_number("--l1", args.l1)
    _check_number("--l2", args.l2)
    if not args.standardize:  # else diverging would blame the learning rate
        data.check_squares("rescale the data or use --standardize")
    name = args.optimizer or ("minibatch" if args.batch_size is not None else "gd")
    test = None
    train = data
    if args.test_split is not None:
        if not 0 < args.test_split < 1:
            raise UsageError(f"--test-split must be a fraction between 0 and 1, got {args.test_split}")
        (Xtr, ytr), test = train_test_split(data.X, data.y, args.test_split, rng=args.seed)
        train = from_arrays(Xtr, ytr, feature_names=data.feature_names, target_name=data.target_name)
    bias = not args.no_bias
    trained_X = (
        Standardizer.fit(train.X, data.feature_names).transform(train.X) if args.standardize else train.X
    )
    lr = args.lr if args.lr is not None else _auto_lr(name, trained_X, args.loss, bias)
    model = LinearRegression(d, bias=bias, w=args.init_w, b=args.init_b, engine=args.engine)
    opt = make_optimizer(
        name,
        model.parameters(),
        lr,
        batch_size=args.batch_size,
        shuffle=args.shuffle,
        replacement=args.replacement,
        drop_last=args.drop_last,
        **_options(args, name),
    )
    if args.replay is not None and args.compile:
        raise UsageError("--compile and --replay do not go together: the replay records every step's graph")
    if args.replay is not None:  # the replay writes every update as p <- p - lr * dL/dp of the plain loss
        for flag, used in (("--schedule", args.schedule is not None), ("--standardize", args.standardize),
                           ("--l1", args.l1 != 0.0), ("--l2", args.l2 != 0.0),
                           ("--tol", args.tol is not None),
                           ("--loss-tol", args.loss_tol is not None)):  # fmt: skip
            if used:
                why = "the replay shows p <- p - lr * dL/dp with one lr and the plain loss"
                raise UsageError(f"{flag} and --replay do not go together: {why}")
    sched = None if args.schedule is None else make_scheduler(args.schedule, opt, args.epochs)
    if args.replay is not None:
        history = _replay(args, model, train, opt)
    else:
        history = fit(
            model,
            train,
            opt,
            loss=args.loss,
            epochs=args.epochs,
            rng=args.seed,
            patience=args.patience,
            progress=args.progress,
            compile=args.compile,
            scheduler=sched,
            grad_tol=args.tol,
            loss_tol=args.loss_tol,
            standardize=args.standardize,
            l1=args.l1,
            l2=args.l2,
        )
    if history.converged is None:  # no tolerance to stop at: judge the end
        history.converged = history.final_grad_norm <= DEFAULT_TOL
        sign = "<=" if history.converged else ">"
        history.stop_reason = (
            f"{'converged' if history.converged else 'NOT converged'}: gradient norm "
            f"{history.final_grad_norm:.3g} {sign} {DEFAULT_TOL:g} after {history.epochs} epochs"
        )
        norms = history.grad_norms
        if history.converged and norms and len(norms) == history.epochs:
            first = len(norms)  # the first epoch from which the norm stayed below the tolerance
            while first > 1 and norms[first - 2] <= DEFAULT_TOL:
                first -= 1
            history.converged_epoch = first
            history.stop_reason += f", from epoch {first} on (--tol {DEFAULT_TOL:g} stops there)"
    predicted = predictions(model, args, d)
    cf = history.closed_form
    if cf is None and not args.l1:
        cf = lstsq(train.X, train.y, bias=bias, loss=args.loss, l2=args.l2)
    metrics = None
    if test is not None:
        metrics = {
            "train": regression_metrics(train.y, model.predict(train.X)),
            "test": regression_metrics(test[1], model.predict(test[0])),
        }

    if args.json:
        out = result_json(
            model, history, args, optimizer=name, lr=lr, n_samples=data.n_samples,
            features=data.feature_names, target=data.target_name,
        )
        out.update(
            converged=bool(history.converged),
            converged_epoch=history.converged_epoch,
            stop_reason=history.stop_reason,
            grad_norm=history.final_grad_norm,
            standardized=bool(args.standardize),
            l1=args.l1,
            l2=args.l2,
        )
        if cf is not None:
            cw = [float(v) for v in cf.weights]
            closed: dict[str, object] = {"w": cw[0] if d == 1 else cw}
            if cf.intercept is not None:
                closed["b"] = cf.intercept
            closed["loss"] = cf.loss
            out["closed_form"] = closed
            out["param_distance"] = float(np.linalg.norm(history.original_params - cf.param_vector()))
            out["loss_gap"] = history.final_loss - cf.loss
        if metrics is not None and test is not None:
            out["n_train"], out["n_test"] = train.n_samples, int(test[1].size)
            out["metrics"] = metrics
        if predicted is not None:
            out["inputs"], out["predictions"] = predicted
        print(strict_json(out))
        return 0

    names = model.param_names()
    terms = [f"{n}*{f}" for n, f in zip(names, data.feature_names)]
    rhs = " + ".join(terms + (["b"] if model.intercept is not None else []))
    features = ("feature " if d == 1 else "features ") + ", ".join(data.feature_names)
    print(f"data: {args.csv}: {data.n_samples} samples, {features} -> target {data.target_name}")
    if test is not None:
        print(f"split: {train.n_samples} rows to train on, {test[1].size} held out (seed {args.seed})")
    print(f"model: {data.target_name} = {rhs}  (engine {args.engine})")
    loss_name = args.loss.upper()
    penalty = "".join(
        [f" + {args.l1:g}*sum|w|" if args.l1 else "", f" + {args.l2:g}*sum w^2" if args.l2 else ""]
    )
    auto = "" if args.lr is not None else " -- the default lr" + (
        "" if name in _OWN_DEFAULT_LR else ": half the largest stable one"
    )
    print(
        f"training: {opt.describe()}{auto}, {loss_name}{penalty} loss, {args.epochs} epochs at most, "
        f"{history.updates} updates" + (f", schedule {sched.describe()}" if sched is not None else "")
    )
    if args.standardize:
        scaler = history.standardizer
        assert scaler is not None
        stats = ", ".join(
            f"{f}: mean {m:.6g}, std {s:.6g}" for f, m, s in zip(data.feature_names, scaler.mean, scaler.std)
        )
        print(f"standardized features (the table shows the parameters on them): {stats}")
    print(f"initial loss: {history.initial_loss:.10g}  at {_fit_params(names, history.initial_params)}")
    show = len(names) <= 4
    head = f"{'epoch':>7}  {'loss':>16}" + ("".join(f"  {n:>14}" for n in names) if show else "")
    print(head)
    for e in history.summary_rows(10):
        row = f"{e:>7}  {history.losses[e - 1]:>16.10g}"
        if show:
            row += "".join(f"  {v:>14.10g}" for v in history.epoch_params[e - 1])
        print(row)
    units = " (in the data's units)" if args.standardize else ""
    print(f"final{units}: {_fit_params(names, history.original_params)}")
    print(f"final loss: {history.final_loss!r}")
    print(history.stop_reason)
    if cf is not None:
        kind = f"ridge, l2 = {args.l2:g}" if args.l2 else "least squares"
        print(f"closed form ({kind}): {_fit_params(names, cf.param_vector())}, loss {cf.loss!r}")
        dist = float(np.linalg.norm(history.original_params - cf.param_vector()))
        print(
            f"distance to it: |params - closed form| = {dist:.3g}, "
            f"loss - closed-form loss = {history.final_loss - cf.loss:.3g}"
        )
        kappa = cf.condition_number**2
        if not history.converged and not args.standardize and kappa > 100:
            print(
                f"hint: the loss's Hessian has condition number {kappa:.3g}, so gradient descent crawls "
                "along its flattest direction; try --standardize"
            )
    else:
        print("closed form: none with an L1 term (lasso has no closed-form solution)")
    if metrics is not None:
        for part in ("train", "test"):
            m = metrics[part]
            print(
                f"{part:>5}: R^2 {m['r2']:.6g}, MSE {m['mse']:.6g}, RMSE {m['rmse']:.6g}, MAE {m['mae']:.6g}"
            )
    print_predictions(predicted, data.feature_names)
    return 0


def _replay(args: argparse.Namespace, model: Any, data: Any, opt: Any) -> Any:
    """Train with every update recorded, write the replay page; the History, as fit's."""
    from ...replay import check_replay_folder, record, write_replay

    names = model.param_names()
    axes = None
    if args.replay_axes is not None:
        unknown = [a for a in args.replay_axes if a not in names]
        if unknown or args.replay_axes[0] == args.replay_axes[1]:
            raise UsageError(f"--replay-axes takes two different parameters of {', '.join(names)}")
        axes = (names.index(args.replay_axes[0]), names.index(args.replay_axes[1]))
    check_replay_folder(args.replay)
    rec = record(
        model,
        data,
        opt,
        loss=args.loss,
        epochs=args.epochs,
        rng=args.seed,
        patience=args.patience,
        grad_tol=args.tol,
        loss_tol=args.loss_tol,
    )
    page = write_replay(rec, args.replay, axes=axes)
    out = sys.stderr if args.json else sys.stdout  # --json prints one JSON object and nothing else
    if rec.diverged is not None:
        print(f"wrote {page}: the replay of {rec.updates} updates, up to where training blew up", file=out)
        raise ValueError(rec.diverged)
    print(f"wrote {page}: open it in a browser to replay the {rec.updates} updates", file=out)
    return rec.history


def _fit_params(names: Sequence[str], values: Iterable[float]) -> str:
    return ", ".join(f"{n} = {float(v)!r}" for n, v in zip(names, values))
