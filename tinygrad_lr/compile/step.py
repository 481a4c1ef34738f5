"""The compiled training step: trace on the first call, run the generated code after.

One call of a :class:`CompiledStep` does what this eager step does, with the same numbers::

    optimizer.zero_grad()
    L = fn(*inputs)          # builds the graph
    L.backward()
    optimizer.step()
    return float(L)

but without building a graph. On the first call (and whenever the inputs' shapes change) the
function is traced (:mod:`.trace`), its graph written out as code (:mod:`.value_code`,
:mod:`.tensor_code`), and that code is run once next to the eager backward pass: its loss and
gradients must agree with the engine's (gradients to the bit; the loss to 1e-14, as a fused
``(r**2).sum()`` adds in another order). Programs are cached by the inputs' shapes.

The update is the optimizer's. For plain gradient descent (an optimizer whose ``step`` is the
base class's ``p <- p - lr * dL/dp``: GD, SGD, mini-batch SGD) it is written into the code, so
``step.source`` shows it; any other optimizer (momentum, Adam, ...) has its own ``step()``
called after the compiled gradients are in the parameters' ``grad``. Either way the result is
the eager step's.

What falls back to the eager step, with a :class:`CompileWarning` saying why (once per step):
a graph with an operation the compiler does not know, a leaf computed from the inputs outside
the graph, a graph whose structure depends on the inputs' values, a ``Value`` graph of more than
200,000 nodes, an optimizer that needs the graph itself (``needs_graph = True``), or generated
code that disagrees with the engine. A call on which the compiled code meets a domain error
(``log(0)``, a division by zero) is rerun eagerly, so the error is the engine's own.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import graph
from ..compare import isclose
from ..graph import is_grad_enabled
from ..optim import Optimizer
from ..tensor import Tensor
from .names import input_names
from .tensor_code import tensor_program
from .trace import CannotCompile, Trace, record
from .value_code import value_program

__all__ = ["CompiledStep", "CompileWarning", "compile_step"]

LOSS_RTOL = 1e-14  # a fused (r**2).sum() adds the same terms in another order: ~1e-16 relative
GRAD_RTOL = 1e-14  # the self-check's limit for gradients (the tests ask for the exact bits)
_RUNTIME_ERRORS = (ArithmeticError, ValueError)  # FloatingPointError, ZeroDivisionError, OverflowError


class CompileWarning(UserWarning):
    """The step could not be compiled and runs eagerly instead (the message says why)."""


class _Program:
    """One compiled graph: its source, its forward/backward function and its update."""

    def __init__(
        self,
        engine: str,
        source: str,
        run: Callable[..., Any],
        update: Callable[[], None] | None,
        update_source: str,
        convert: list[bool],
    ) -> None:
        self.engine = engine
        self.run = run
        self.update = update
        self.source = source + ("\n" + update_source if update_source else "")
        self.convert = convert  # inputs to turn into float64 arrays before the call


def _inline_update(optimizer: Optimizer) -> bool:
    """True when the optimizer's update is plain ``p <- p - lr * dL/dp`` (it is then written out)."""
    cls = type(optimizer)
    plain = cls.step is Optimizer.step and getattr(cls, "update", None) is getattr(Optimizer, "update", None)
    return plain and len(optimizer.param_groups) == 1  # one lr for every parameter


class CompiledStep:
    """A training step compiled from the graph that ``fn`` builds; see :func:`compile_step`.

    Attributes:
        fn: the function building the loss from the inputs.
        optimizer: the optimizer whose parameters and update the step uses.
        compiled: ``True`` while the step runs generated code, ``False`` after a fallback.
        fallback_reason: why the step fell back to eager (``None`` if it did not).
    """

    def __init__(self, fn: Callable[..., Any], optimizer: Optimizer) -> None:
        if not callable(fn):
            raise TypeError(f"compile_step needs a function building the loss, got {fn!r}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"compile_step needs an Optimizer (GD, SGD, ...), got {optimizer!r}")
        self.fn = fn
        self.optimizer = optimizer
        self.params = list(optimizer.params)
        self.compiled = True
        self.fallback_reason: str | None = None
        self._programs: dict[Any, _Program] = {}
        self._last: _Program | None = None
        self._no_input: _Program | None = None  # the program for calls without inputs, looked up fastest
        self._warned_watched = False

    # --- running ----------------------------------------------------------------------------

    def __call__(self, *inputs: Any) -> float:
        """One training step on ``inputs``: zero_grad, forward, backward, update. Returns the loss."""
        loss = self.forward_backward(*inputs)
        self.update()
        return loss

    def forward_backward(self, *inputs: Any) -> float:
        """The loss at the current parameters, with ``dL/dp`` left in every parameter's ``grad``."""
        if graph.watched:  # a hook or detect_anomaly(): they watch the eager pass, node by node
            self._watched_notice()
            self._last = None
            return self._eager(inputs)
        prog = self._no_input if not inputs else None
        if prog is None:
            prog = self._program(inputs)
            if prog is None:
                self._last = None
                return self._eager(inputs)
            if any(prog.convert):
                inputs = tuple(
                    np.asarray(x, dtype=np.float64) if c else x for x, c in zip(inputs, prog.convert)
                )
        self._last = prog
        try:
            return prog.run(*inputs)
        except _RUNTIME_ERRORS:
            self._last = None
            return self._eager(inputs)  # the engine raises its own error, or gives its own result

    def update(self) -> None:
        """The optimizer's update of the parameters, from the gradients in their ``grad``."""
        prog = self._last
        if prog is not None and prog.update is not None:
            prog.update()
        else:
            self.optimizer.step()

    @property
    def source(self) -> str:
        """The Python code the step runs (after the first call; a step without inputs traces now)."""
        prog = self._last or self._no_input or next(iter(self._programs.values()), None)
        if prog is None:
            if self.fallback_reason is not None:
                return f"# not compiled: {self.fallback_reason}\n"
            if _needs_arguments(self.fn):
                raise RuntimeError("step.source: call the step once with its inputs first (it traces then)")
            prog = self._program(())
            if prog is None:
                return f"# not compiled: {self.fallback_reason}\n"
        return prog.source

    def retrace(self) -> None:
        """Forget every compiled program: the next call traces the function again."""
        self._programs.clear()
        self._no_input = None
        self._last = None
        self.compiled, self.fallback_reason = True, None

    # --- eager ------------------------------------------------------------------------------

    def _eager(self, inputs: Sequence[Any]) -> float:
        self.optimizer.zero_grad()
        L = self.fn(*inputs)
        if getattr(self.optimizer, "create_graph", False):  # Newton differentiates the gradient again
            L.backward(create_graph=True)
        else:
            L.backward()
        return float(np.asarray(L.data))

    def _watched_notice(self) -> None:
        if not self._warned_watched:
            self._warned_watched = True
            reason = "a hook is registered or detect_anomaly() is on: steps run eagerly while it is"
            warnings.warn(CompileWarning(f"compile_step: {reason}"), stacklevel=4)

    def _fall_back(self, reason: str) -> None:
        if self.fallback_reason is None:
            warnings.warn(CompileWarning(f"compile_step: running eagerly: {reason}"), stacklevel=4)
        self.compiled, self.fallback_reason = False, reason

    # --- tracing ----------------------------------------------------------------------------

    def _key(self, inputs: Sequence[Any]) -> Any:
        parts: list[Any] = [is_grad_enabled()]
        for x in inputs:
            data = x.data if isinstance(x, Tensor) else x
            if isinstance(data, np.ndarray):
                parts.append((type(x), data.shape, data.dtype.str, data.strides))
            else:
                parts.append((type(x), np.shape(data)))
        for p in self.params:
            parts.append(np.shape(p.data))
        return tuple(parts)

    def _program(self, inputs: Sequence[Any]) -> _Program | None:
        if not self.compiled:
            return None
        key = self._key(inputs)
        prog = self._programs.get(key)
        if prog is None:
            try:
                prog = self._build(inputs)
            except CannotCompile as e:
                self._fall_back(str(e))
                return None
            self._programs[key] = prog
            if not inputs:
                self._no_input = prog
        return prog

    def _build(self, inputs: Sequence[Any]) -> _Program:
        if not is_grad_enabled():
            raise CannotCompile("called under no_grad(): there is no graph to trace")
        if getattr(self.optimizer, "needs_graph", False) or getattr(self.optimizer, "create_graph", False):
            raise CannotCompile(f"{type(self.optimizer).__name__} needs the graph itself at every step")
        names = input_names(self.fn, len(inputs))
        self.optimizer.zero_grad()
        trace = record(self.fn, inputs, self.params)
        convert = [False] * len(inputs)
        if trace.engine == "tensor":
            convert = [not isinstance(x, (np.ndarray, Tensor)) for x in inputs]
            if any(convert):  # a list or number: the step passes it on as a float64 array
                inputs = [np.asarray(x, dtype=np.float64) if c else x for x, c in zip(inputs, convert)]
                self.optimizer.zero_grad()
                trace = record(self.fn, inputs, self.params)
        if trace.engine == "value":
            source, namespace = value_program(trace, self.params, names)
        else:
            source, namespace = tensor_program(
                trace, self.params, names, [isinstance(x, Tensor) for x in inputs]
            )
        run = _define(source, namespace, "forward_backward")
        update, update_source = None, ""
        if _inline_update(self.optimizer):
            update_source, update_ns = _update_source(self.optimizer, trace.engine)
            update = _define(update_source, update_ns, "update")
        else:
            title = getattr(self.optimizer, "title", type(self.optimizer).__name__)
            update_source = (
                f"# update: optimizer.step(), the {title} rule itself, run on the gradients\n"
                "# forward_backward() left in every parameter's grad\n"
            )
        self._check(trace, run, inputs)
        return _Program(trace.engine, source, run, update, update_source, convert)

    def _check(self, trace: Trace, run: Callable[..., Any], inputs: Sequence[Any]) -> None:
        """Run the generated code once and compare it with the engine's backward pass."""
        trace.root.backward()  # the parameters' grads were zeroed before the trace
        want_loss = float(np.asarray(trace.root.data))
        want = [_copy(p.grad) for p in self.params]
        try:
            with np.errstate(all="ignore"):
                got_loss = float(run(*inputs))
        except Exception as e:  # noqa: BLE001 - any failure of generated code means: do not use it
            raise CannotCompile(
                f"the generated code failed on the traced inputs ({type(e).__name__}: {e})"
            ) from None
        got = [_copy(p.grad) for p in self.params]
        if not _close(got_loss, want_loss, LOSS_RTOL):
            raise CannotCompile(
                f"the generated code's loss {got_loss!r} differs from the engine's {want_loss!r}"
            )
        for p, g, h in zip(self.params, got, want):
            if not _close_arrays(g, h):
                name = getattr(p, "label", None) or "a parameter"
                raise CannotCompile(f"the generated code's gradient for {name} differs from the engine's")


def _needs_arguments(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params
    )


def _copy(g: Any) -> Any:
    return None if g is None else np.array(g, dtype=np.float64)


def _close(a: float, b: float, rtol: float) -> bool:
    """The generated code reproduces the engine: the same number (inf and nan too: the engine gave
    them as well), or a finite one within round-off by the project's one comparison."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or isclose(a, b, rtol=rtol)


def _close_arrays(a: Any, b: Any) -> bool:
    """:func:`_close` for every entry of two gradients of the same shape."""
    if a is None or b is None:
        return a is None and b is None
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b)) | isclose(a, b, rtol=GRAD_RTOL)
    return bool(np.all(same))


def _define(source: str, namespace: dict[str, Any], name: str) -> Callable[..., Any]:
    ns = dict(namespace)
    exec(compile(source, f"<compiled {name}>", "exec"), ns)  # noqa: S102 - our own generated code
    return ns[name]


def _update_source(optimizer: Optimizer, engine: str) -> tuple[str, dict[str, Any]]:
    """``update()``: the base optimizer's ``p.data <- p.data - lr * p.grad``, written out."""
    ns: dict[str, Any] = {"optimizer": optimizer}
    lines = ["lr = optimizer.lr"]
    for i, p in enumerate(optimizer.params):
        label = getattr(p, "label", None)
        obj = f"param_{label}" if label and label.isidentifier() else f"param{i}"
        while obj in ns:
            obj += "_"
        ns[obj] = p
        if engine == "tensor":  # a Tensor that took no part in the loss has no gradient: skipped
            lines.append(f"if {obj}.grad is not None:")
            lines.append(f"    {obj}.data = {obj}.data - lr * {obj}.grad[()]")  # [()]: the same numbers
        else:
            lines.append(f"{obj}.data = {obj}.data - lr * {obj}.grad")
    title = f"# update ({optimizer.title}): every parameter moves against its gradient, p <- p - lr * dL/dp"
    source = "def update():\n" + f"    {title}\n" + "".join(f"    {line}\n" for line in lines)
    return source, ns


def compile_step(fn: Callable[..., Any], optimizer: Optimizer) -> CompiledStep:
    """Compile the training step of ``fn`` (which builds a loss) with ``optimizer``.

    ``fn(*inputs)`` builds the loss from the optimizer's parameters and the inputs (arrays of
    fixed shapes, or nothing: data the function closes over is a constant of the graph). The
    returned step, called with the same kind of inputs, does ``zero_grad``, forward, backward
    and ``optimizer.step()`` with the numbers of the eager engine, without building a graph,
    and returns the loss. Print ``step.source`` to read the code it runs.

    Python ``if``s on values inside ``fn`` are taken once, when it is traced (as in JAX's
    ``jit``); call ``step.retrace()`` after changing what ``fn`` does.

    Example (the worked example: one step from w = 1, b = 0):
        >>> from tinygrad_lr import GD, Value, sse
        >>> w, b = Value(1.0, label="w"), Value(0.0, label="b")
        >>> step = compile_step(lambda: sse([w * x + b for x in (1, 2, 3)], [3, 5, 7]), GD([w, b], lr=0.01))
        >>> step()            # the loss before the update
        29.0
        >>> round(w.data, 12), round(b.data, 12)
        (1.4, 0.18)
    """
    return CompiledStep(fn, optimizer)
