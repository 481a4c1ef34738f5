"""``tinygrad-lr fit --stream``: train on a CSV read in chunks, for data larger than memory.

Kept beside ``fit.py`` (which reads the data whole, and so can split it, standardize it and solve
it in closed form) so each stays one idea: this is :func:`~tinygrad_lr.fit` on a
:class:`~tinygrad_lr.data.CSVStream` (one more source of batches for the same loop), and the same
report.
"""

from __future__ import annotations

import argparse

from ..optim import OPTIMIZERS
from .data_options import open_stream
from .errors import UsageError
from .fit_options import fit_options, flags_of, optimizer_name, optimizer_settings
from .fit_report import check_model_options, predictions, print_predictions, result_json
from .output import strict_json

__all__ = ["add_stream_options", "run_stream", "IN_MEMORY_ONLY"]

STREAMED = ("loss", "epochs", "rng", "patience", "progress")  # the training options a stream takes


def _in_memory_only() -> list[str]:
    """The flags that need the whole data set in memory: what the stream source refuses, and the
    command line's own (a split, every step's graph)."""
    from ..train.sources import Streamed

    return ["--test-split", *flags_of(Streamed.IN_MEMORY_ONLY), "--replay"]


IN_MEMORY_ONLY = _in_memory_only()


def add_stream_options(p: argparse.ArgumentParser) -> None:
    need_lr = "/".join(name for name, cls in OPTIMIZERS.items() if cls.lr_scales_gradient)
    p.add_argument(
        "--stream",
        action="store_true",
        help="read the file in chunks on every pass instead of whole (for data larger than memory; "
        f"shuffling is within each chunk; needs --lr for {need_lr})",
    )
    p.add_argument("--chunk-rows", type=int, metavar="N", help="rows per chunk for --stream (default 65536)")


def run_stream(args: argparse.Namespace) -> int:
    """Train on ``args.csv`` streamed."""
    from ..data import DEFAULT_CHUNK_ROWS
    from ..models import LinearRegression
    from ..optim import make_optimizer
    from ..train import fit

    for flag in IN_MEMORY_ONLY:
        if getattr(args, flag[2:].replace("-", "_"), None) not in (None, False, 0.0):
            raise UsageError(f"--stream and {flag} do not go together: {flag} needs the data in memory")
    rows = DEFAULT_CHUNK_ROWS if args.chunk_rows is None else args.chunk_rows
    if rows < 1:
        raise UsageError(f"--chunk-rows must be at least 1, got {rows}")
    stream = open_stream(args, rows)
    d = stream.n_features
    check_model_options(args, d)
    options = fit_options(args, *STREAMED)
    name = optimizer_name(args)
    if args.lr is None and OPTIMIZERS[name].lr_scales_gradient:
        raise UsageError("--stream needs --lr: the automatic choice reads the whole data set")
    model = LinearRegression(d, bias=not args.no_bias, w=args.init_w, b=args.init_b, engine=args.engine)
    opt = make_optimizer(
        name, model.parameters(), args.lr, args.batch_size, args.shuffle, args.replacement, args.drop_last,
        **optimizer_settings(args, name),
    )  # fmt: skip
    history = fit(model, stream, opt, options)
    predicted = predictions(model, args, d)
    if args.json:
        out = result_json(
            model, history, args, optimizer=name, lr=opt.lr, n_samples=stream.n_samples,
            features=stream.feature_names, target=stream.target_name, chunk_rows=rows,
        )  # fmt: skip
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
