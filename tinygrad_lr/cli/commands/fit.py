"""``tinygrad-lr fit``: train linear regression on a CSV.

The training options are :class:`~tinygrad_lr.train.FitOptions` and the optimizers the registry
:data:`~tinygrad_lr.optim.OPTIMIZERS`; :mod:`..fit_options` derives the flags from both. The run
is :func:`~tinygrad_lr.fit` (or :func:`~tinygrad_lr.replay.record` with ``--replay``); the report
is :mod:`..fit_report`; ``--stream`` is :mod:`..fit_stream`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from ..data_options import add_data_options, load_data
from ..errors import UsageError
from ..fit_models import add_model_option, classes, make_model, metrics, model_lr, resolve_loss
from ..fit_options import (
    add_optimizer_options,
    add_training_options,
    fit_options,
    flags_of,
    optimizer_name,
    optimizer_settings,
)
from ..fit_report import FitResult, check_model_options, judge, predictions, print_report, report_json
from ..fit_stream import add_stream_options, run_stream
from ..output import strict_json

DEFAULT_TOL = 1e-8
TRAINING = (
    "loss",
    "epochs",
    "rng",
    "patience",
    "progress",
    "compile",
    "grad_tol",
    "loss_tol",
    "standardize",
    "l1",
    "l2",
)

HELP_ORDER = 30  # where `tinygrad-lr --help` lists this command


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="train linear (or logistic) regression on a CSV with GD, SGD, mini-batch, momentum, Adam ...",
        description="Load a numeric CSV (by default: no header unless the first row is not numeric; "
        "the last column is the target, the others are features), train y = b + w1*x1 + ... + wn*xn "
        "by backpropagation, and print the initial loss, a short per-epoch table, the final "
        "parameters and loss, whether the run converged, and the closed-form least-squares answer "
        "with the distance to it. With --model logistic the targets must be 0 or 1, the model is "
        "p(y = 1) = sigmoid(b + w1*x1 + ...), the loss the binary cross-entropy, the answer to compare "
        "with Newton's method on the formulas, and accuracy, log-loss and the confusion matrix are "
        "printed. Columns are chosen by 0-based index (negative from the end) or by header name; "
        "positions in error messages are 1-based, as an editor shows them.",
    )
    add_data_options(p)
    add_model_option(p)
    add_stream_options(p)
    p.add_argument("--no-bias", action="store_true", help="fit y = w*x, without b")
    add_optimizer_options(p)
    p.add_argument(
        "--schedule",
        metavar="SPEC",
        help="learning-rate schedule: step:STEP_SIZE[:GAMMA], exponential:GAMMA, cosine[:T_MAX[:ETA_MIN]], "
        "warmup[:ITERS[:START_FACTOR]]",
    )
    add_training_options(p, DEFAULT_TOL)
    p.add_argument(
        "--test-split",
        type=float,
        metavar="FRACTION",
        help="hold out this fraction of the rows (seeded by --seed); print R^2, MSE, RMSE, MAE of each "
        "part (so each needs 2 rows or more, whose targets are not all equal)",
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
    p.add_argument("--predict", type=float, nargs="+", metavar="X", help="also predict these inputs")
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
    p.add_argument(
        "--replay-detail",
        type=int,
        nargs="+",
        metavar="K",
        help="updates (1 = the first) the replay keeps in full detail, their graph with every node's "
        "numbers, however long the run (at most 100)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...closed_form import lstsq
    from ...optim import make_optimizer, make_scheduler
    from ...train import fit

    resolve_loss(args)  # the model's own loss, or a one-line error for one that does not suit it
    if args.stream and args.model == "logistic":
        raise UsageError(
            "--stream trains linear regression (sums of squares, chunk by chunk); --model logistic "
            "needs the data in memory"
        )
    if args.stream:  # data larger than memory: read in chunks on every pass
        return run_stream(args)
    if args.chunk_rows is not None:
        raise UsageError("--chunk-rows needs --stream")
    if args.replay_detail is not None and args.replay is None:
        raise UsageError("--replay-detail needs --replay")
    data = load_data(args, classes(args))  # a classifier's targets are checked line by line
    check_model_options(args, data.n_features)
    options = fit_options(args, *TRAINING)  # every training option checked here, once
    if not args.standardize:  # else diverging would blame the learning rate
        data.check_squares("rescale the data or use --standardize")
    name = optimizer_name(args)
    train, test = _split(args, data)
    model, lr = make_model(args, train.n_features), args.lr
    if lr is None:
        lr = model_lr(args, _trained_X(args, train), name, model.bias)
    opt = make_optimizer(
        name, model.parameters(), lr, args.batch_size, args.shuffle, args.replacement, args.drop_last,
        **optimizer_settings(args, name),
    )  # fmt: skip
    sched = None if args.schedule is None else make_scheduler(args.schedule, opt, args.epochs)
    options = dataclasses.replace(options, scheduler=sched)
    history = (
        _replay(args, model, train, opt, options)
        if args.replay is not None
        else fit(model, train, opt, options)
    )
    judge(history, DEFAULT_TOL)
    cf = history.closed_form
    if cf is None and not args.l1 and args.model == "linear":
        cf = lstsq(train.X, train.y, bias=model.bias, loss=args.loss, l2=args.l2)
    scores = None
    if test is not None or args.model == "logistic":  # a classifier's counts are worth reading always
        scores = {"train": metrics(args, model, train.X, train.y)}
        if test is not None:
            scores["test"] = metrics(args, model, *test)
    result = FitResult(
        args, data, train, test, model, opt, name, lr, sched, history, cf, scores,
        predictions(model, args, data.n_features),
    )  # fmt: skip
    if args.json:
        print(strict_json(report_json(result)))
    else:
        print_report(result)
    return 0


def _split(args: argparse.Namespace, data: Any) -> tuple[Any, Any]:
    """The rows to train on, and the held-out ``(X, y)`` with ``--test-split`` (else None); both
    parts large enough for the R^2 printed for each, or a UsageError naming the sizes."""
    from ...data import from_arrays, train_test_split
    from ...metrics import R2_MIN_ROWS, r2_undefined

    if args.test_split is None:
        return data, None
    if not 0 < args.test_split < 1:
        raise UsageError(f"--test-split must be a fraction between 0 and 1, got {args.test_split}")
    try:
        (Xtr, ytr), test = train_test_split(
            data.X, data.y, args.test_split, rng=args.seed, min_rows=R2_MIN_ROWS
        )
    except ValueError as exc:
        raise UsageError(f"--test-split {args.test_split:g}: {exc} (R^2 is printed for each)") from None
    for part, y in (("the rows to train on", ytr), ("the held-out rows", test[1])):
        why = r2_undefined(y)
        if why:
            fix = "drop --test-split" if r2_undefined(data.y) else "use another --seed or fraction"
            raise UsageError(
                f"--test-split {args.test_split:g} (seed {args.seed}): the R^2 of {part} is undefined: "
                f"{why}; {fix}"
            )
    return from_arrays(Xtr, ytr, feature_names=data.feature_names, target_name=data.target_name), test


def _trained_X(args: argparse.Namespace, train: Any) -> Any:
    """The features the model is trained on: standardized with ``--standardize``."""
    from ...scaling import Standardizer

    if not args.standardize:
        return train.X
    return Standardizer.fit(train.X, train.feature_names, center=not args.no_bias).transform(train.X)


def _replay(args: argparse.Namespace, model: Any, data: Any, opt: Any, options: Any) -> Any:
    """Train with every update recorded, write the replay page; the History, as fit's."""
    from ...replay import check_replay_folder, record, write_replay
    from ...replay.budget import MAX_ASKED
    from ...replay.record import NOT_REPLAYABLE

    for option, why in NOT_REPLAYABLE.items():  # what record refuses, said with the flags
        if option in options.given():
            for flag in flags_of([option]):
                raise UsageError(f"{flag} and --replay do not go together: {why}")
    names = model.param_names()
    axes = None
    if args.replay_axes is not None:
        unknown = [a for a in args.replay_axes if a not in names]
        if unknown or args.replay_axes[0] == args.replay_axes[1]:
            raise UsageError(f"--replay-axes takes two different parameters of {', '.join(names)}")
        axes = (names.index(args.replay_axes[0]), names.index(args.replay_axes[1]))
    asked = args.replay_detail or []
    if any(k < 1 for k in asked) or len(set(asked)) > MAX_ASKED:
        raise UsageError(f"--replay-detail takes 1 to {MAX_ASKED} update numbers, 1 for the first update")
    check_replay_folder(args.replay)
    rec = record(model, data, opt, options)
    past = [k for k in asked if k > rec.updates]
    if past:
        raise UsageError(f"--replay-detail: update {past[0]} is past the run's last update, {rec.updates}")
    page = write_replay(rec, args.replay, axes=axes, detail=[k - 1 for k in asked])
    out = sys.stderr if args.json else sys.stdout  # --json prints one JSON object and nothing else
    if rec.diverged is not None:
        print(f"wrote {page}: the replay of {rec.updates} updates, up to where training blew up", file=out)
        raise ValueError(rec.diverged)
    print(f"wrote {page}: open it in a browser to replay the {rec.updates} updates", file=out)
    return rec.history
