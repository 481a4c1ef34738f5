"""``tinygrad-lr fit``: train linear regression on a CSV."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .output import announce_wait, strict_json

if TYPE_CHECKING:
    pass


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="train linear regression on a CSV with GD, SGD or mini-batch SGD",
        description="Load a numeric CSV (by default: no header unless the first row is not numeric; "
        "the last column is the target, the others are features), train y = b + w1*x1 + ... + wn*xn "
        "by backpropagation, and print the initial loss, a short per-epoch table and the final "
        "parameters and loss. Columns are chosen by 0-based index (negative from the end) or by "
        "header name; positions in error messages are 1-based, as an editor shows them.",
    )
    p.add_argument("csv", help="the data file ('-': standard input)")
    p.add_argument(
        "--stream",
        action="store_true",
        help="read the file in chunks every epoch instead of whole (for data larger than memory); "
        "shuffling is within each chunk",
    )
    p.add_argument(
        "--chunk-rows", type=int, metavar="N", help="rows per chunk for --stream (default 65536)"
    )
    p.add_argument(
        "--features", nargs="+", metavar="COL", help="feature columns (default: all but the target)"
    )
    p.add_argument("--target", metavar="COL", help="the target column (default: the last)")
    p.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the first row holds column names (default: detected, a header when a cell is not a number)",
    )
    p.add_argument(
        "--delimiter", default=",", help="cell separator: a character, 'tab' or 'whitespace' (default ,)"
    )
    p.add_argument("--no-bias", action="store_true", help="fit y = w*x, without b")
    p.add_argument(
        "--optimizer",
        choices=["gd", "sgd", "minibatch"],
        default="gd",
        help="gd: all samples per update; sgd: one; minibatch: --batch-size (default gd)",
    )
    p.add_argument("--batch-size", type=int, help="samples per update, for --optimizer minibatch")
    p.add_argument(
        "--shuffle",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="a new random order of the samples every epoch (sgd, minibatch; default: in order)",
    )
    p.add_argument("--replacement", action="store_true", help="draw samples at random with replacement")
    p.add_argument("--drop-last", action="store_true", help="skip the last, short mini-batch of an epoch")
    p.add_argument("--seed", type=int, default=0, help="seed for shuffling (default 0)")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    p.add_argument("--epochs", type=int, default=100, help="passes over the data (default 100)")
    p.add_argument(
        "--loss", choices=["mse", "sse"], default="mse", help="mean or sum of squared errors (default mse)"
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


def _fit_column(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


def run(args: argparse.Namespace) -> int:
    from ..data import load_csv
    from ..models import LinearRegression
    from ..optim import make_optimizer
    from ..train import SQUARES_FIX, fit

    delimiter = {"tab": "\t", "\\t": "\t", "whitespace": None}.get(args.delimiter, args.delimiter)
    columns = {
        "features": None if args.features is None else [_fit_column(c) for c in args.features],
        "target": None if args.target is None else _fit_column(args.target),
        "header": args.header,
        "delimiter": delimiter,
    }
    announce_wait(args.csv, "fit")
    data: Any
    if args.stream:
        data = _stream(args, columns)
    else:
        if args.chunk_rows is not None:
            raise UsageError("--chunk-rows needs --stream")
        data = load_csv(args.csv, **columns)
    if args.no_bias and args.init_b is not None:
        raise UsageError("--init-b needs a bias; drop --no-bias or --init-b")
    d = data.n_features
    if args.init_w is not None and len(args.init_w) not in (1, d):
        raise UsageError(f"--init-w takes 1 number or {d} (one per feature), got {len(args.init_w)}")
    if args.predict is not None and len(args.predict) % d:
        raise UsageError(f"--predict takes {d} numbers per sample (one per feature), got {len(args.predict)}")
    if not args.stream and not getattr(args, "standardize", False):  # else diverging would blame the lr
        data.check_squares(
            "rescale the data or use --standardize" if hasattr(args, "standardize") else SQUARES_FIX
        )
    model = LinearRegression(d, bias=not args.no_bias, w=args.init_w, b=args.init_b, engine=args.engine)
    opt = make_optimizer(
        args.optimizer,
        model.parameters(),
        args.lr,
        batch_size=args.batch_size,
        shuffle=args.shuffle,
        replacement=args.replacement,
        drop_last=args.drop_last,
    )
    if args.patience < 1:
        raise UsageError(f"--patience must be at least 1, got {args.patience}")
    if args.replay is not None and args.compile:
        raise UsageError("--compile and --replay do not go together: the replay records every step's graph")
    if args.replay is not None:
        history = _replay(args, model, data, opt)
    else:
        history = fit(
            model,
            data,
            opt,
            loss=args.loss,
            epochs=args.epochs,
            rng=args.seed,
            patience=args.patience,
            progress=args.progress,
            compile=args.compile,
        )
    w = [float(v) for v in model.weights]
    b = model.intercept
    predictions = None
    if args.predict is not None:
        inputs = [args.predict[i : i + d] for i in range(0, len(args.predict), d)]
        predictions = [float(v) for v in model.predict(inputs)]
        for x, pred in zip(inputs, predictions):
            if not math.isfinite(pred):
                raise UsageError(f"--predict {' '.join(map(repr, x))}: the prediction is {pred} (overflow)")

    if args.json:
        out: dict[str, object] = {"w": w[0] if d == 1 else w}
        if b is not None:
            out["b"] = b
        out.update(
            loss=history.final_loss,
            initial_loss=history.initial_loss,
            epochs=history.epochs,
            updates=history.updates,
            optimizer=args.optimizer,
            lr=args.lr,
            loss_fn=args.loss,
            engine=args.engine,
            n_samples=data.n_samples,
            features=list(data.feature_names),
            target=data.target_name,
            losses=history.losses,
        )
        if predictions is not None:
            out["inputs"] = [args.predict[i : i + d] for i in range(0, len(args.predict), d)]
            out["predictions"] = predictions
        print(strict_json(out))
        return 0

    names = model.param_names()
    terms = [f"{n}*{f}" for n, f in zip(names, data.feature_names)]
    rhs = " + ".join(terms + (["b"] if b is not None else []))
    features = ("feature " if d == 1 else "features ") + ", ".join(data.feature_names)
    print(f"data: {args.csv}: {data.n_samples} samples, {features} -> target {data.target_name}")
    print(f"model: {data.target_name} = {rhs}  (engine {args.engine})")
    loss_name = args.loss.upper()
    print(f"training: {opt.describe()}, {loss_name} loss, {args.epochs} epochs, {history.updates} updates")
    print(f"initial loss: {history.initial_loss:.10g}  at {_fit_params(names, history.initial_params)}")
    show = len(names) <= 4
    head = f"{'epoch':>7}  {'loss':>16}" + ("".join(f"  {n:>14}" for n in names) if show else "")
    print(head)
    for e in history.summary_rows(10):
        row = f"{e:>7}  {history.losses[e - 1]:>16.10g}"
        if show:
            row += "".join(f"  {v:>14.10g}" for v in history.epoch_params[e - 1])
        print(row)
    print(f"final: {_fit_params(names, history.final_params)}")
    print(f"final loss: {history.final_loss!r}")
    if predictions is not None:
        for i, pred in enumerate(predictions):
            x = args.predict[i * d : (i + 1) * d]
            xs = ", ".join(f"{f}={v:g}" for f, v in zip(data.feature_names, x))
            print(f"prediction at {xs}: {pred!r}")
    return 0


def _replay(args: argparse.Namespace, model: Any, data: Any, opt: Any) -> Any:
    """Train with every update recorded, write the replay page; the History, as fit's."""
    from ..replay import check_replay_folder, record, write_replay

    names = model.param_names()
    axes = None
    if args.replay_axes is not None:
        unknown = [a for a in args.replay_axes if a not in names]
        if unknown or args.replay_axes[0] == args.replay_axes[1]:
            raise UsageError(f"--replay-axes takes two different parameters of {', '.join(names)}")
        axes = (names.index(args.replay_axes[0]), names.index(args.replay_axes[1]))
    check_replay_folder(args.replay)
    rec = record(model, data, opt, loss=args.loss, epochs=args.epochs, rng=args.seed, patience=args.patience)
    page = write_replay(rec, args.replay, axes=axes)
    out = sys.stderr if args.json else sys.stdout  # --json prints one JSON object and nothing else
    if rec.diverged is not None:
        print(f"wrote {page}: the replay of {rec.updates} updates, up to where training blew up", file=out)
        raise ValueError(rec.diverged)
    print(f"wrote {page}: open it in a browser to replay the {rec.updates} updates", file=out)
    return rec.history


def _stream(args: argparse.Namespace, columns: dict[str, Any]) -> Any:
    """The CSV as a CSVStream, after refusing what streaming cannot do."""
    from ..data import DEFAULT_CHUNK_ROWS, CSVStream

    for flag, given in (("--replay", args.replay is not None), ("--compile", args.compile)):
        if given:
            raise UsageError(f"--stream and {flag} do not go together")
    for name in ("standardize", "closed_form", "solver"):
        if getattr(args, name, None) not in (None, False):
            raise UsageError(f"--stream and --{name.replace('_', '-')} do not go together")
    rows = DEFAULT_CHUNK_ROWS if args.chunk_rows is None else args.chunk_rows
    if rows < 1:
        raise UsageError(f"--chunk-rows must be at least 1, got {rows}")
    return CSVStream(args.csv, chunk_rows=rows, **columns)


def _fit_params(names: Sequence[str], values: Iterable[float]) -> str:
    return ", ".join(f"{n} = {float(v)!r}" for n, v in zip(names, values))
