"""``tinygrad-lr fit --stream``: train on a CSV read in chunks, for data larger than memory.

Kept beside ``fit.py`` (which reads the data whole, and so can split it, standardize it and solve
it in closed form) so each stays one idea: this is the loop of :func:`~tinygrad_lr.fit` over a
:class:`~tinygrad_lr.data.CSVStream`, and the same report.
"""

from __future__ import annotations

import argparse
from typing import Any

from .errors import UsageError
from .fit_report import check_model_options, predictions, print_predictions, result_json
from .output import strict_json

__all__ = ["add_stream_options", "run_stream"]

# options that need the whole data set in memory (a split, its statistics, every step's graph)
_IN_MEMORY_ONLY = {
    "test_split": "--test-split",
    "standardize": "--standardize",
    "replay": "--replay",
    "compile": "--compile",
    "schedule": "--schedule",
    "tol": "--tol",
    "loss_tol": "--loss-tol",
    "l1": "--l1",
    "l2": "--l2",
}


def add_stream_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stream",
        action="store_true",
        help="read the file in chunks on every pass instead of whole (for data larger than memory; "
        "shuffling is within each chunk; needs --lr for gd/sgd/minibatch/momentum)",
    )
    p.add_argument("--chunk-rows", type=int, metavar="N", help="rows per chunk for --stream (default 65536)")


def run_stream(args: argparse.Namespace, options: dict[str, Any]) -> int:
    """Train on ``args.csv`` streamed; ``options`` are the update rule's own settings."""
    from ..data import DEFAULT_CHUNK_ROWS, CSVStream
    from ..models import LinearRegression
    from ..optim import make_optimizer
    from ..train import fit
    from .data_options import _column

    for dest, flag in _IN_MEMORY_ONLY.items():
        if getattr(args, dest, None) not in (None, False, 0.0):
            raise UsageError(f"--stream and {flag} do not go together: {flag} needs the data in memory")
    rows = DEFAULT_CHUNK_ROWS if args.chunk_rows is None else args.chunk_rows
    if rows < 1:
        raise UsageError(f"--chunk-rows must be at least 1, got {rows}")
    delimiter = {"tab": "\t", "\\t": "\t", "whitespace": None}.get(args.delimiter, args.delimiter)
    stream = CSVStream(
        args.csv,
        features=None if args.features is None else [_column(c) for c in args.features],
        target=None if args.target is None else _column(args.target),
        header=args.header,
        delimiter=delimiter,
        chunk_rows=rows,
    )
    d = stream.n_features
    check_model_options(args, d)
    name = args.optimizer or ("minibatch" if args.batch_size is not None else "gd")
    if args.lr is None and name in ("gd", "sgd", "minibatch", "momentum", "nesterov"):
        raise UsageError("--stream needs --lr: the automatic choice reads the whole data set")
    model = LinearRegression(d, bias=not args.no_bias, w=args.init_w, b=args.init_b, engine=args.engine)
    opt = make_optimizer(
        name,
        model.parameters(),
        args.lr,
        batch_size=args.batch_size,
        shuffle=args.shuffle,
        replacement=args.replacement,
        drop_last=args.drop_last,
        **options,
    )
    history = fit(
        model, stream, opt, loss=args.loss, epochs=args.epochs, rng=args.seed, patience=args.patience
    )
    predicted = predictions(model, args, d)
    if args.json:
        out = result_json(
            model, history, args, optimizer=name, lr=opt.lr, n_samples=stream.n_samples,
            features=stream.feature_names, target=stream.target_name, chunk_rows=rows,
        )
        if predicted is not None:
            out["inputs"], out["predictions"] = predicted
        print(strict_json(out))
        return 0
    names = model.param_names()
    features = ("feature " if d == 1 else "features ") + ", ".join(stream.feature_names)
    print(f"data: {args.csv}: {stream.n_samples} samples, {features} -> target {stream.target_name}")
    print(f"streamed in chunks of {rows} rows (shuffling, if any, within each chunk)")
    run = f"{args.loss.upper()} loss, {args.epochs} epochs, {history.updates} updates"
    print(f"training: {opt.describe()}, {run}")
    print(f"initial loss: {history.initial_loss:.10g}")
    for e in history.summary_rows(10):
        params = ", ".join(f"{n} = {v:.10g}" for n, v in zip(names, history.epoch_params[e - 1]))
        print(f"epoch {e:>5}: loss {history.losses[e - 1]:.10g}  {params}")
    final = ", ".join(f"{n} = {float(v)!r}" for n, v in zip(names, history.final_params))
    print(f"final: {final}")
    print(f"final loss: {history.final_loss!r}")
    print_predictions(predicted, stream.feature_names)
    return 0
