"""Everything one call of :func:`~tinygrad_lr.fit` needs, checked and built before the first update:
the optimizer, the source of batches, the step, the history and its guard (:class:`Run`)."""

from __future__ import annotations

import math
from typing import Any

from ..data import CSVStream, Dataset
from ..errors import InputError, describe
from ..losses import LOSSES, regularized
from ..models import LinearModel
from ..optim import Optimizer
from .guard import Guard
from .hints import Hint, divergence_hint, provably_stable
from .history import History
from .options import FitOptions, build_optimizer, check_schedules, loss_for
from .progress import Progress, want_progress
from .sources import InMemory, Streamed, as_dataset
from .standardize import Standardization
from .steps import EagerStep, compiled_step

__all__ = ["Run", "SQUARES_FIX"]

# what to do about data whose squares overflow float64 (the CLI names its own option for it)
SQUARES_FIX = "rescale the data (fit(..., standardize=True), or divide the column by a power of ten)"


class Run:
    """One training run, set up: ``model``, ``optimizer``, ``source`` (of batches), ``step``,
    ``history``; :meth:`start` measures the start and arms the ``guard``."""

    def __init__(
        self,
        model: Any,
        data: Dataset | CSVStream | tuple[Any, Any],
        optimizer: Optimizer | str,
        options: FitOptions,
    ) -> None:
        if not callable(getattr(model, "parameters", None)) or not callable(model):
            raise InputError(f"model must be a model such as LinearRegression(), got {describe(model)}")
        self.model, self.options = model, options
        self.loss_name, loss_fn = loss_for(model, options.loss)
        self.optimizer = opt = build_optimizer(model, optimizer, options)
        self.scheduler = options.scheduler
        check_schedules(opt, self.scheduler)
        self.standardization: Standardization | None = None
        self.source = (
            self._stream(data, loss_fn) if isinstance(data, CSVStream) else self._in_memory(data, loss_fn)
        )
        self.history = History(
            initial_loss=float("nan"),
            param_names=list(model.param_names()) if hasattr(model, "param_names") else [],
            lr=opt.param_groups[0]["lr"],
            optimizer=getattr(opt, "name", type(opt).__name__),
            loss_name=self.loss_name,
            standardizer=None if self.standardization is None else self.standardization.scaler,
        )
        if options.compile:
            if options.callback is not None:
                raise ValueError("fit: compile=True runs no graph per step, and a callback needs one")
            self.step: Any = compiled_step(options.compile, model, self.source.loss_fn, opt)
        else:
            self.step = EagerStep(model, self.source.loss_fn, opt)
        self.progress = Progress(
            options.epochs, want_progress(options.progress, options.epochs * self.n_samples)
        )

    @property
    def n_samples(self) -> int:
        return self.source.n_samples or 1

    def _in_memory(self, data: Any, loss_fn: Any) -> InMemory:
        model, o = self.model, self.options
        ds = as_dataset(data)
        ds.check_finite()  # a hand-built Dataset may hold NaN: name its row and column before training
        classes = getattr(model, "classes", None)
        if classes is not None:  # a classifier's targets are its class labels
            ds.check_classes(classes, type(model).__name__)
        if self.loss_name in LOSSES and not o.standardize:  # else a diverging run would blame the lr
            ds.check_squares(SQUARES_FIX)
        self._check_features(ds.n_features)
        is_linear = isinstance(model, LinearModel)
        if (o.standardize or o.l1 or o.l2) and not is_linear:
            raise ValueError("standardize, l1 and l2 need a LinearRegression or LogisticRegression model")
        if is_linear:
            loss_fn = regularized(loss_fn, model.w, o.l1, o.l2)
        X = ds.X
        if o.standardize:
            self.standardization = Standardization(X, ds.feature_names, center=model.bias)  # see its module
            X = self.standardization.transform(X)
            self.standardization.to_standardized(model)
        return InMemory(X, ds.y, loss_fn, self.optimizer.batching, o.rng, o.shuffle_window)

    def _stream(self, stream: CSVStream, loss_fn: Any) -> Streamed:
        given = [name for name in Streamed.IN_MEMORY_ONLY if name in self.options.given()]
        if given:
            raise InputError(f"fit on a CSVStream takes no {', '.join(given)}: they need the data in memory")
        if self.optimizer.create_graph:
            raise InputError(
                "streaming takes first-order optimizers (GD, SGD, mini-batch, momentum, adaptive)"
            )
        self._check_features(stream.n_features)
        return Streamed(
            stream, self.model, self.loss_name, loss_fn, self.optimizer.batching, self.options.rng
        )

    def _check_features(self, n_features: int) -> None:
        expected = getattr(self.model, "n_features", n_features)
        if expected != n_features:
            raise ValueError(f"the model has {expected} features but the data has {n_features}")

    def start(self) -> None:
        """The loss and parameters before the first update; the guard armed with them."""
        h, model, opt = self.history, self.model, self.optimizer
        try:
            h.initial_loss = self.source.start(model)
        except OverflowError as exc:  # the Value engine refuses to make an inf
            raise ValueError(
                f"the loss overflows float64 at the initial parameters ({exc}); "
                "start from smaller values or rescale the data"
            ) from None
        except ZeroDivisionError as exc:  # the Value engine's own: a loss of the user's divides by 0
            raise ValueError(
                f"the loss divides by zero at the initial parameters ({exc}); a loss of your own must "
                "not divide by a number that can be 0"
            ) from None
        if not math.isfinite(h.initial_loss):  # the Tensor engine makes it: no epoch can be judged against it
            raise ValueError(
                f"the loss overflows float64 at the initial parameters (it is {h.initial_loss}); "
                "start from smaller values or rescale the data"
            )
        h.initial_params = model.param_vector()
        if self.options.record_params:
            h.params.append(model.param_vector())
        o = self.options
        self.guard = Guard(
            h,
            patience=o.patience,
            grad_tol=o.grad_tol,
            loss_tol=o.loss_tol,
            lr=lambda: opt.param_groups[0]["lr"],
            hint=lambda: divergence_hint(opt, self.rule_hint()),
            stable=lambda: provably_stable(opt, self.rule_hint()),
        )

    def rule_hint(self) -> Hint | None:
        """The largest stable lr of the run's rule on its loss, in a sentence (``None``: unknown)."""
        return self.source.hint(self.model, self.loss_name, self.optimizer, self.options.l2)

    def end_epoch(self, epoch: int, loss: float, grad_norm: float | None) -> bool:
        """The guard's verdict on ``epoch`` (recorded in the history); True: converged, stop."""
        stop = self.guard.end_epoch(epoch, loss, self.model.param_vector(), grad_norm)
        self.progress.show(loss)
        return stop

    def finish(self) -> None:
        """The final parameters, in the data's units in the model (undoing the standardization)."""
        self.progress.close()
        h, model = self.history, self.model
        h.final_params = model.param_vector()
        if self.standardization is not None:
            self.standardization.to_original(model)
        h.original_params = model.param_vector()

    def conclude(self) -> None:
        """After a run that did not diverge: why it stopped, and the closed-form answer to compare."""
        self.guard.finish()
        if self.options.l1:
            return
        cf = self.source.closed_form(self.model, self.loss_name, self.options.l2)
        note = self.source.reference_note(cf, self.model)
        if note is not None:  # no minimum to compare with (separable classes): say why instead
            self.history.notes.append(note)
            return
        if cf is not None and self.standardization is not None:
            cf = self.standardization.closed_form(cf)
        self.history.closed_form = cf
