"""Recording a fit, update by update: what the replay's views are drawn from.

:func:`record` runs :func:`~tinygrad_lr.fit` with a :class:`Recorder` as its ``callback`` -- the
very same training loop with the very same options (:class:`~tinygrad_lr.train.FitOptions`),
not a second one -- and keeps, for every update ``k``:

* the parameters before and after it (``before[k]``, ``after[k]``, vectors ``[w..., b]``),
* the batch of samples its loss was computed on, and that loss,
* the gradient ``dL/dp`` the optimizer used, read from the parameters after ``backward()``,
* each sample's contribution to that gradient, ``dL/df_i * df_i/dp`` with ``df_i/dw_j = x_ij``
  and ``df_i/db = 1``, where ``dL/df_i`` is read from the prediction node of the graph;
* the numbers the optimizer's rule computed on the way (momentum's velocity, Adam's ``m``, ``v``
  and bias corrections, Newton's Hessian: what :meth:`~tinygrad_lr.optim.Optimizer.note` kept)
  and the rule's :meth:`~tinygrad_lr.optim.Optimizer.formula`, so the update can be written out.

For gradient descent ``after[k] == before[k] - lr * grads[k]`` holds to the bit (it is the
optimizer's own arithmetic); for every rule the numbers are the ones its step computed, and the
contributions of a batch add up to its gradient. With ``standardize=True`` the data kept is what
the model is trained on, ``z = (x - mean) / std``, and the parameters are the model's on ``z``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data import Dataset
from ..models import LinearRegression
from ..optim import Optimizer
from ..scaling import Standardizer
from ..train import DivergenceError, FitOptions, FitUpdate, History, fit
from ..train.options import build_optimizer, loss_for, with_fit_options
from ..train.sources import as_dataset

__all__ = [
    "Recording",
    "Recorder",
    "record",
    "MAX_UPDATES",
    "MAX_SAMPLES",
    "NOT_REPLAYABLE",
    "ReplayTooLargeError",
]

MAX_UPDATES = 1_000_000  # updates recorded, all in memory; the page keeps what fits 15 MB
MAX_SAMPLES = 5_000  # points drawn in the data panel, and rows of per-sample numbers per frame

# the options of fit a replay cannot show, and why (the command line says it with its flags)
_PLAIN = "the replay writes every update out with one lr and the plain loss"
NOT_REPLAYABLE = {
    "compile": "the replay records every step's graph",
    "callback": "the replay's own Recorder is the callback",
    "scheduler": _PLAIN,
    "l1": _PLAIN,
    "l2": _PLAIN,
}


class ReplayTooLargeError(ValueError):
    """The run has more updates or samples than a replay can show."""


@dataclass
class Recording:
    """Every update of one fit of a linear model, with the data it was fitted to.

    Attributes:
        X, y: the data (``X`` of shape ``(n, d)``).
        feature_names, target_name: column names, for axis labels.
        param_names: ``['w', 'b']``, ``['w1', 'w2', 'b']``, ... (the order of every vector).
        bias: whether the model has ``b``.
        engine: ``"value"`` or ``"tensor"``.
        lr: the learning rate.
        optimizer: the rule's name (``"gd"``, ``"sgd"``, ``"adam"`` ...); ``description`` says it
            in words; ``plain``: whether it is gradient descent, ``p <- p - lr * dL/dp``.
        loss_name: ``"sse"`` or ``"mse"``.
        before, after, grads: arrays of shape ``(updates, n_params)``.
        losses: the loss of every update's batch, at ``before`` (shape ``(updates,)``).
        epoch: the epoch of every update (1-based).
        batches: the sample indices of every update.
        predictions: every update's predictions on its batch, ``f_i`` at ``before``.
        contributions: every update's per-sample gradients, shape ``(batch size, n_params)``.
        history: what :func:`~tinygrad_lr.fit` returned (or the history of its divergence).
        diverged: the divergence message when the run blew up, else ``None``.
        max_stable_lr: the largest stable learning rate for this run's rule, when known.
        notes: what the rule computed besides the gradient, by name (``"m"``, ``"v_prev"``,
            ``"H"`` ...): arrays of shape ``(updates, n_params)`` (``(updates, n_params**2)``
            for a matrix such as Newton's Hessian).
        formula: the rule's update written out (:meth:`~tinygrad_lr.optim.Optimizer.formula`).
        constants: the hyper-parameters the formula names (``lr``, ``momentum``, ``beta1`` ...).
        standardizer: with ``standardize=True``, the features' means and stds (``X`` holds
            the standardized features, named ``z_<name>``); else ``None``.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str
    param_names: list[str]
    bias: bool
    engine: str
    lr: float
    optimizer: str
    description: str
    loss_name: str
    before: np.ndarray
    after: np.ndarray
    grads: np.ndarray
    losses: np.ndarray
    epoch: np.ndarray
    batches: list[np.ndarray] = field(default_factory=list)
    predictions: list[np.ndarray] = field(default_factory=list)
    contributions: list[np.ndarray] = field(default_factory=list)
    history: History | None = None
    diverged: str | None = None
    max_stable_lr: float | None = None
    plain: bool = True
    notes: dict[str, np.ndarray] = field(default_factory=dict)
    formula: list[str] = field(default_factory=lambda: ["{p} <- {before} - {lr} * {grad} = {after}"])
    constants: dict[str, float] = field(default_factory=dict)
    standardizer: Standardizer | None = None

    @property
    def updates(self) -> int:
        """The number of recorded updates."""
        return int(self.before.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def replayed_params(self) -> np.ndarray:
        """The parameters of a gradient-descent run re-computed from the record alone: start at
        ``before[0]`` and apply ``p <- p - lr * grad`` with every recorded gradient. Shape
        ``(updates + 1, n_params)``; it equals ``[before[0], after[0], after[1], ...]`` exactly
        when the record is honest. (Another rule's steps are checked against its own numbers.)"""
        if not self.plain:
            raise ValueError(f"{self.description} does not update p <- p - lr * dL/dp; read its notes")
        out = np.empty((self.updates + 1, len(self.param_names)))
        p = self.before[0].copy() if self.updates else self.history_initial()
        out[0] = p
        for k in range(self.updates):
            p = p - self.lr * self.grads[k]
            out[k + 1] = p
        return out

    def history_initial(self) -> np.ndarray:
        if self.history is not None and self.history.initial_params.size:
            return self.history.initial_params.copy()
        return np.zeros(len(self.param_names))

    def full_loss(self, params: Any) -> Any:
        """The loss over the whole data set at the parameter vector ``params`` (no graph); for a
        matrix of parameter vectors (one per row), the array of their losses."""
        theta = np.asarray(params, dtype=np.float64)
        r = self.design() @ theta.T - (self.y if theta.ndim == 1 else self.y[:, None])
        sse = (r * r).sum(axis=0)
        out = sse / self.n_samples if self.loss_name == "mse" else sse
        return float(out) if theta.ndim == 1 else out

    def design(self) -> np.ndarray:
        """``A = [X, 1]`` (the 1 only with a bias): ``f = A @ [w..., b]``."""
        if not self.bias:
            return self.X
        return np.hstack([self.X, np.ones((self.n_samples, 1))])


def _number(x: Any) -> Any:
    """A gradient's numbers: a Value or Tensor graph node (a gradient kept as a graph, as Newton's
    ``backward(create_graph=True)`` leaves it) read as its data."""
    return x.data if hasattr(x, "_prev") else x


class Recorder:
    """A ``callback`` for :func:`~tinygrad_lr.fit` that keeps every update's numbers.

    Given the ``optimizer`` (with its ``watch`` on), it keeps what the rule noted at each step too.

    Example:
        >>> from tinygrad_lr import LinearRegression, fit
        >>> rec = Recorder([[1], [2], [3]])
        >>> m = LinearRegression(w=1.0, b=0.0)
        >>> h = fit(m, ([1, 2, 3], [3, 5, 7]), "gd", lr=0.01, loss="sse", epochs=1, callback=rec)
        >>> rec.grads[0].tolist(), rec.after[0].tolist()
        ([-40.0, -18.0], [1.4, 0.18])
    """

    def __init__(self, X: np.ndarray, bias: bool = True, optimizer: Optimizer | None = None) -> None:
        self.X = np.asarray(X, dtype=np.float64)
        self.bias = bias
        self.optimizer = optimizer
        self.before: list[np.ndarray] = []
        self.after: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.losses: list[float] = []
        self.epoch: list[int] = []
        self.batches: list[np.ndarray] = []
        self.predictions: list[np.ndarray] = []
        self.contributions: list[np.ndarray] = []
        self.notes: dict[str, list[np.ndarray]] = {}

    def __call__(self, u: FitUpdate) -> None:
        grads = [np.asarray(_number(p.grad), dtype=np.float64).reshape(-1) for p in u.model.parameters()]
        self.before.append(np.array(u.params_before, dtype=np.float64))
        self.after.append(u.model.param_vector())
        self.grads.append(np.concatenate(grads))
        self.losses.append(float(np.asarray(u.loss.data)))
        self.epoch.append(u.epoch)
        self.batches.append(np.asarray(u.batch, dtype=np.int64))
        if isinstance(u.predictions, list):  # the Value engine: one node per sample
            f = np.array([v.data for v in u.predictions], dtype=np.float64)
            dldf = np.array([_number(v.grad) for v in u.predictions], dtype=np.float64)
        else:
            f = np.asarray(u.predictions.data, dtype=np.float64).reshape(-1)
            dldf = np.asarray(_number(u.predictions.grad), dtype=np.float64).reshape(-1)
        A = self.X[u.batch]
        if self.bias:
            A = np.hstack([A, np.ones((A.shape[0], 1))])
        self.predictions.append(f)
        self.contributions.append(dldf[:, None] * A)  # dL/dp = sum_i dL/df_i * df_i/dp
        if self.optimizer is not None:
            for name, values in self.optimizer.noted.items():
                self.notes.setdefault(name, []).append(np.array(values, dtype=np.float64))


def _check_replayable(
    model: Any, ds: Dataset, opt: Optimizer, opts: FitOptions, loss_name: str, max_updates: int
) -> None:
    """Refuse, before training, a run a replay cannot show or hold."""
    for name in opts.given():
        if name in NOT_REPLAYABLE:
            raise ValueError(f"record() takes no {name}: {NOT_REPLAYABLE[name]}")
    if loss_name not in ("sse", "mse"):
        raise ValueError(f"a replay draws the SSE or MSE loss landscape; got loss {loss_name!r}")
    if len(opt.param_groups) > 1:
        raise ValueError(
            f"the replay writes every update with one set of hyper-parameters; this {opt.title} has "
            f"{len(opt.param_groups)} param groups"
        )
    if ds.n_samples > MAX_SAMPLES:
        raise ReplayTooLargeError(
            f"a replay draws every sample; the data has {ds.n_samples}, more than {MAX_SAMPLES}: "
            "replay a sample of the rows"
        )
    total = opts.epochs * opt.batching.updates_per_epoch(ds.n_samples)
    if total > max_updates:
        raise ReplayTooLargeError(
            f"the replay would record {total} updates ({opts.epochs} epochs x "
            f"{total // max(opts.epochs, 1)} per epoch), more than max_updates={max_updates}: "
            "use fewer epochs or a larger batch"
        )


def _stable_lr(model: LinearRegression, X: np.ndarray, loss_name: str, opt: Optimizer) -> float | None:
    """The largest stable lr of this run's rule on ``X`` (one-sample SGD: its own limit), if any."""
    gd = model.max_stable_lr(X, loss_name)
    if not math.isfinite(gd):
        return None
    if opt.batch_size == 1 and opt.plain_update():
        return model.max_stable_lr(X, loss_name, batch_size=1)
    return opt.max_stable_lr(2.0 / gd)


@with_fit_options
def record(
    model: LinearRegression,
    data: Dataset | tuple[Any, Any],
    optimizer: Optimizer | str = "gd",
    options: FitOptions | None = None,
    *,
    max_updates: int = MAX_UPDATES,
    **keywords: Any,
) -> Recording:
    """Train ``model`` with :func:`~tinygrad_lr.fit` and record every update.

    The options are :func:`~tinygrad_lr.fit`'s (:class:`~tinygrad_lr.train.FitOptions`: its
    stopping rules ``grad_tol`` and ``loss_tol`` included; a run that stops early is recorded up
    to there), except those of :data:`NOT_REPLAYABLE`. A run that diverges is recorded up to the
    update where it blew up; its message and the stable learning rate are kept in ``diverged``
    and ``max_stable_lr`` instead of being raised.

    Raises:
        ReplayTooLargeError: more than ``max_updates`` updates or :data:`MAX_SAMPLES` samples
            (checked before training starts).
        ValueError: not a :class:`~tinygrad_lr.LinearRegression`, a loss other than ``"sse"``
            or ``"mse"``, an option a replay cannot show, or fit's own errors.

    Example (the worked example: GD from w = 1, b = 0 on (1, 3), (2, 5), (3, 7)):
        >>> from tinygrad_lr import LinearRegression
        >>> rec = record(LinearRegression(w=1.0, b=0.0), ([1, 2, 3], [3, 5, 7]), "gd",
        ...              lr=0.01, loss="sse", epochs=1000)
        >>> rec.updates, rec.after[0].tolist(), rec.after[-1].round(3).tolist()
        (1000, [1.4, 0.18], [2.0, 1.0])
    """
    opts = FitOptions.of(options, keywords, caller="record")
    if not isinstance(model, LinearRegression):
        raise ValueError(f"a replay records a LinearRegression model, got {type(model).__name__}")
    loss_name, _ = loss_for(model, opts.loss)
    ds = as_dataset(data)
    opt = build_optimizer(model, optimizer, opts, caller="record")
    _check_replayable(model, ds, opt, opts, loss_name, max_updates)
    scaler = Standardizer.fit(ds.X, ds.feature_names) if opts.standardize else None
    X = ds.X if scaler is None else scaler.transform(ds.X)  # what the model is trained on
    rec = Recorder(X, bias=model.bias, optimizer=opt)
    history: History | None = None
    diverged = None
    watching = opt.watch
    opt.watch = True  # every step keeps the numbers its rule computed
    try:
        history = fit(
            model, ds, opt, dataclasses.replace(opts.for_built_optimizer(), loss=loss_name, callback=rec)
        )
    except DivergenceError as err:
        history, diverged = err.history, str(err)
    finally:
        opt.watch = watching
    return _recording(model, ds, X, scaler, opt, loss_name, rec, history, diverged)


def _recording(
    model: LinearRegression,
    ds: Dataset,
    X: np.ndarray,
    scaler: Standardizer | None,
    opt: Optimizer,
    loss_name: str,
    rec: Recorder,
    history: History | None,
    diverged: str | None,
) -> Recording:
    """The :class:`Recording` of what ``rec`` kept."""
    P = len(model.param_names())

    def stack(rows: list[np.ndarray], width: int = P) -> np.ndarray:
        return np.array(rows, dtype=np.float64).reshape(len(rows), width)

    names = list(ds.feature_names) if scaler is None else [f"z_{n}" for n in ds.feature_names]
    return Recording(
        X=X.copy(),
        y=ds.y.copy(),
        feature_names=names,
        target_name=str(ds.target_name),
        param_names=model.param_names(),
        bias=model.bias,
        engine=model.engine,
        lr=opt.lr,
        optimizer=getattr(opt, "name", type(opt).__name__),
        description=opt.describe(),
        loss_name=loss_name,
        before=stack(rec.before),
        after=stack(rec.after),
        grads=stack(rec.grads),
        losses=np.array(rec.losses, dtype=np.float64),
        epoch=np.array(rec.epoch, dtype=np.int64),
        batches=rec.batches,
        predictions=rec.predictions,
        contributions=rec.contributions,
        history=history,
        diverged=diverged,
        max_stable_lr=_stable_lr(model, X, loss_name, opt),
        plain=opt.plain_update(),
        notes={name: stack(rows, len(rows[0])) for name, rows in rec.notes.items()},
        formula=opt.formula(),
        constants=opt.formula_constants(),
        standardizer=scaler,
    )
