"""The ``Tensor`` class: an array node of the graph (see :mod:`tinygrad_lr.tensor`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from .. import grad_mode, graph, ops
from ..ops import ARRAYS
from ..ops.arrays import refuse_broadcast
from ..ops.graphs import GRAPHS as TENSORS
from ..ops.graphs import sum_to
from .convert import Axis, index_data, to_array, torch_names

__all__ = ["Tensor", "as_tensor", "ArrayLike"]

Fn = Union[ops.Op, ops.Function]  # noqa: UP007 - an op definition, or an opaque numpy Function

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence[Any]]


class Tensor:
    """An array in a computation graph.

    Attributes:
        data: the numpy array this node holds (float64 unless given another float dtype).
        grad: ``dL/d(this node)`` after ``L.backward()``, an array of the same shape; ``None``
            until then.
        requires_grad: whether gradients are computed for this node (parameters: ``True``;
            data: ``False``). Results of ops require grad if any input does.
        name: an optional name shown in printouts and pictures (``label`` is the same thing).

    Example:
        >>> w, b = Tensor(1.0, requires_grad=True, name="w"), Tensor(0.0, requires_grad=True)
        >>> x, y = Tensor([1.0, 2.0, 3.0]), Tensor([3.0, 5.0, 7.0])
        >>> L = ((w * x + b - y) ** 2).sum()
        >>> L.backward()
        >>> L.item(), w.grad.item(), b.grad.item()
        (29.0, -40.0, -18.0)
    """

    __slots__ = ("data", "_grad", "requires_grad", "name", "_prev", "_fn", "_owns_grad", "_mask")

    # numpy must not treat a Tensor as an array of objects: `ndarray * Tensor` and
    # `np.float64 * Tensor` then fall back to Tensor.__rmul__, which builds a graph node.
    __array_ufunc__ = None

    data: np.ndarray
    _grad: np.ndarray | ops.Scaled | Tensor | None  # maybe not multiplied out; a Tensor: create_graph
    requires_grad: bool
    name: str | None
    _prev: tuple[Tensor, ...]
    _fn: Fn | None  # the op that made this node (with its parameters and `needs`); None for a leaf
    _owns_grad: bool

    def __init__(self, data: ArrayLike, requires_grad: bool = False, name: str | None = None) -> None:
        self.data = to_array(data)
        if self.data.dtype.kind == "f" and np.asarray(data).dtype.kind == "b":
            # numbers 0.0/1.0 for arithmetic, and the booleans kept for t[mask], as numpy selects
            self._mask = np.asarray(data)
        self._grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._prev = ()
        self._fn = None
        self._owns_grad = False

    @property
    def grad(self) -> Any:
        """``dL/d(this node)``, an array shaped like ``data`` (``None`` before backward).

        After ``backward(create_graph=True)`` a leaf's gradient is a ``Tensor`` instead: a
        graph that can be differentiated again.
        """
        g = self._grad
        if type(g) is ops.Scaled:  # multiplied out on first read
            g = self._grad = g.value()
        return g

    @grad.setter
    def grad(self, value: Any) -> None:
        self._grad = value
        self._owns_grad = False  # an assigned array is never written into

    # --- the chain rule at this node (called by graph.run_backward) --------------------------

    def _backward(self) -> None:
        # dL/d(self) is complete: every node computed from self was visited first
        grad = self._grad
        if grad is None:  # nothing downstream reached this node
            return
        fn: Fn = self._fn  # type: ignore[assignment]  # an inner node always has its op
        if type(grad) is ops.Scaled and not fn.takes_scaled:
            grad = grad.value()
        handed: list[Any] = []  # arrays already given to a parent
        # a Scaled is left only for an op with takes_scaled, whose derivative accepts one
        for parent, g in zip(self._prev, fn.array_grads(grad, self._prev, self.data)):
            if g is None or not parent.requires_grad:
                continue
            if type(g) is not np.ndarray and type(g) is not ops.Scaled:
                g = np.asarray(g)
            shape = parent.data.shape
            if g.shape != shape:
                g = ops.unbroadcast(g, shape)  # summed: a new array
            # a fresh array built for this parent alone may later be added into in place;
            # `grad` itself, views of it, a Scaled (its array is a node's data), or one array
            # handed to two parents may not
            owned = type(g) is np.ndarray and g is not grad and g.base is None
            owned = owned and not any(g is h for h in handed)
            handed.append(g)
            parent._accumulate(g, owned)

    def _backward_graph(self, grad: Tensor) -> list[Tensor | None]:
        # the same chain rule built from Tensor ops (backward(create_graph=True), grad()): the
        # op's derivative run on Tensor nodes, so the gradient is a graph
        fn: Fn = self._fn  # type: ignore[assignment]
        if isinstance(fn, ops.Op):
            prev, needs = self._prev, fn.needs
            grads = [fn.vjp(TENSORS, i, grad, prev, self) if needs[i] else None for i in range(len(prev))]
        else:
            grads = list(fn.backward_graph(grad, self._prev, self))
        out: list[Tensor | None] = []
        for parent, g in zip(self._prev, grads):
            if g is None or not parent.requires_grad:
                out.append(None)
            else:
                out.append(g if g.shape == parent.shape else sum_to(g, parent.shape))
        return out

    def _seed_node(self, seed: Any) -> Tensor:
        """``dL/dL`` as a node, for :func:`tinygrad_lr.grad` (ones for a one-entry tensor)."""
        if not self.requires_grad:
            raise RuntimeError("grad(): the output does not require grad (nothing to differentiate)")
        if seed is None:
            if self.data.size != 1:
                raise ValueError(f"grad(): an output of shape {self.shape} needs grad_outputs= of that shape")
            return Tensor(np.ones(self.data.shape, self.data.dtype))
        t = as_tensor(seed)
        if t.shape != self.shape:
            raise ValueError(f"grad(): grad_outputs has shape {t.shape}, the output has {self.shape}")
        return t

    def _accumulate(self, g: np.ndarray | ops.Scaled, owned: bool) -> None:
        """``self.grad += g``, never writing into an array that other nodes may share."""
        old = self._grad
        if old is None:
            if not self._prev:  # a leaf owns its array, multiplied out
                if type(g) is ops.Scaled:
                    g, owned = np.asarray(g.array * g.factor, dtype=self.data.dtype), True
                elif not owned or g.dtype != self.data.dtype:
                    g, owned = np.array(g, dtype=self.data.dtype), True
            self._grad, self._owns_grad = g, owned
        elif isinstance(old, Tensor):  # a gradient graph from backward(create_graph=True): it grows
            self._grad = old + ops.dense(g)
        elif self._owns_grad:
            self._grad += ops.dense(g)
        else:
            self._grad, self._owns_grad = ops.dense(old) + ops.dense(g), True

    def _reset_grad(self) -> None:
        self._grad = None
        self._owns_grad = False

    def backward(self, grad: ArrayLike | None = None, create_graph: bool = False) -> None:
        """Compute ``dL/d(node)`` for every node that this tensor ``L`` depends on.

        On a single-number tensor ``dL/dL = 1`` is the seed. On a larger tensor, pass
        ``grad``: an array of the same shape, used as ``dL/d(self)`` (``L.backward(g)`` computes
        the gradients of ``sum(g * L)``). Leaf gradients accumulate across calls (call
        :meth:`zero_grad` on parameters between updates); intermediate nodes start every call
        from nothing, so two calls give exactly twice the leaf gradients of one.

        With ``create_graph=True`` the chain rule is itself built from ``Tensor`` operations:
        every leaf's ``grad`` is then a ``Tensor``, a graph that can be drawn and
        differentiated again (see :func:`tinygrad_lr.grad`).

        Raises:
            ValueError: if ``self`` holds several numbers and no ``grad`` is given, or if
                ``grad`` has the wrong shape.
            RuntimeError: if ``self`` does not require grad (nothing to differentiate).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad: it was computed under no_grad() "
                "or only from tensors without requires_grad=True"
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() needs a scalar, got shape {self.shape}; call .sum() or .mean() first, "
                    f"or pass grad= (an array of shape {self.shape})"
                )
            seed, owned = np.ones(self.data.shape, self.data.dtype), True  # dL/dL = 1
        else:
            seed = to_array(grad.data if isinstance(grad, Tensor) else grad)
            if seed.shape != self.shape:
                raise ValueError(f"backward(): grad has shape {seed.shape}, the tensor has {self.shape}")
            owned = False  # the caller's array: never added into
        if create_graph:
            graph.backward_graph(self, grad if isinstance(grad, Tensor) else Tensor(seed))
            return

        def seed_root(root: Tensor) -> None:
            root._accumulate(seed, owned)

        graph.run_backward(self, seed_root)

    def zero_grad(self) -> None:
        """Forget this tensor's gradient (``grad = None``, as PyTorch's ``set_to_none``)."""
        self._grad = None
        self._owns_grad = False

    def register_hook(self, hook: Callable[[Any], Any]) -> graph.RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is complete in a backward pass.

        ``grad`` is ``dL/d(this tensor)`` from this pass (an array; a ``Tensor`` under
        ``create_graph=True``). If ``hook`` returns an array of the same shape, that replaces
        the gradient: it flows on to the inputs (and, for a leaf, is added into ``.grad``).
        Returns a handle whose ``remove()`` takes the hook off again.

        Example:
            >>> w = Tensor([1.0, 2.0], requires_grad=True)
            >>> h = w.register_hook(lambda g: 2 * g)      # double what reaches w
            >>> (w * w).sum().backward()
            >>> w.grad
            array([4., 8.])
            >>> h.remove()
        """
        return graph.add_hook(self, hook)

    # --- building graph nodes ----------------------------------------------------------------

    @staticmethod
    def _apply(fn: Fn, *parents: Tensor) -> Tensor:
        """Run ``fn`` forward on the parents' arrays and wrap the result in a new node.

        The result requires grad if any parent does and we are not under ``no_grad()``; only
        then does it remember its parents and its op. Otherwise it is a plain leaf.
        """
        needs = tuple([p.requires_grad for p in parents])
        track = (grad_mode.grad_enabled or grad_mode.is_grad_enabled()) and True in needs
        fn.needs = needs if track else (False,) * len(parents)
        out = Tensor.__new__(Tensor)
        arrays = [p.data for p in parents]
        try:
            out.data = fn.forward(ARRAYS, *arrays) if isinstance(fn, ops.Op) else fn.forward(*arrays)
        except ValueError:
            refuse_broadcast(fn, arrays)  # a broadcast that fails is named; anything else passes on
            raise
        out._grad = None
        out.requires_grad = track
        out.name = None
        out._owns_grad = False
        if track:
            out._prev, out._fn = parents, fn
        else:
            out._prev, out._fn = (), None
        return out

    # --- powers: a number exponent and a tensor exponent are two different ops ---------------

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: ArrayLike) -> Tensor:
        """``self ** n`` for a number ``n`` (op ``"**2"`` etc.), or ``self ** t`` for a tensor ``t``."""
        if isinstance(exponent, (int, float, np.integer, np.floating)) and not isinstance(exponent, bool):
            return Tensor._apply(ops.Pow(float(exponent)), self)
        return Tensor._apply(ops.Power(), self, as_tensor(exponent))

    def pow(self, exponent: ArrayLike) -> Tensor:
        """``self ** exponent`` (PyTorch's method name)."""
        return self**exponent

    def __rpow__(self, base: ArrayLike) -> Tensor:
        return Tensor._apply(ops.Power(), as_tensor(base), self)

    # --- reductions --------------------------------------------------------------------------

    def sum(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """The sum over ``axis`` (all entries by default). ``d(sum a)/da[i] = 1``.

        ``dim`` and ``keepdim`` are PyTorch's names for ``axis`` and ``keepdims``.

        Example:
            >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0)
            Tensor([4. 6.])
            >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=1)
            Tensor([3. 7.])
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = torch_names("sum", axis, keepdims, dim, keepdim)
        return Tensor._apply(ops.Sum(axis, keepdims), self)

    def mean(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """The mean over ``axis`` (all entries by default; ``dim`` too). ``d(mean a)/da[i] = 1/n``."""
        if dim is not None or keepdim is not None:
            axis, keepdims = torch_names("mean", axis, keepdims, dim, keepdim)
        return Tensor._apply(ops.Mean(axis, keepdims), self)

    # --- shapes ------------------------------------------------------------------------------

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same entries in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        return Tensor._apply(ops.Reshape(tuple(int(n) for n in shape)), self)  # type: ignore[arg-type]

    view = reshape  # PyTorch's name (here always a new node sharing the data where numpy can)

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of length 1 at position ``dim`` (``-1``: last), as ``torch.unsqueeze``.

        Example:
            >>> Tensor([1.0, 2.0]).unsqueeze(1).shape
            (2, 1)
        """
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"unsqueeze: dim must be an int, got {dim!r}")
        ndim = self.data.ndim + 1
        if not -ndim <= dim < ndim:
            raise ValueError(f"unsqueeze: dim {dim} is out of range for a result of {ndim} dimensions")
        shape = list(self.data.shape)
        shape.insert(int(dim) % ndim, 1)
        return self.reshape(tuple(shape))

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (reverse them by default), as ``np.transpose``."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        return Tensor._apply(ops.Transpose(tuple(int(a) for a in axes) or None), self)  # type: ignore[arg-type]

    @property
    def T(self) -> Tensor:
        """The axes reversed (the transpose of a matrix)."""
        return self.transpose()

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """This tensor repeated (without copying) to ``shape``; the gradient is summed back."""
        return Tensor._apply(ops.BroadcastTo(tuple(shape)), self)

    def __getitem__(self, index: Any) -> Tensor:
        """``t[index]``: ints, slices, ``None``, ``...``, integer arrays and boolean masks.

        Indices repeated in an integer array each pass their gradient back, so they add up.
        """
        return Tensor._apply(ops.GetItem(index_data(index)), self)

    # --- properties and conveniences ---------------------------------------------------------

    @property
    def label(self) -> str | None:
        """The tensor's name (the graph renderer reads ``label`` on both engines)."""
        return self.name

    @label.setter
    def label(self, value: str | None) -> None:
        self.name = value

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype

    @property
    def op(self) -> str:
        """The symbol of the op that produced this tensor (``""`` for a leaf)."""
        return str(self._fn.symbol) if self._fn is not None else ""

    @property
    def grad_fn(self) -> Fn | None:
        """The op that produced this tensor, its definition (``None`` for a leaf), as PyTorch's."""
        return self._fn

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The tensors this one was computed from, in argument order (``()`` for a leaf)."""
        return self._prev

    def is_leaf(self) -> bool:
        """True for a tensor that was not computed from other tensors by a tracked op."""
        return not self._prev

    def item(self) -> float:
        """The single number held, as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one entry, got shape {self.shape}")
        return float(self.data.item())

    def __float__(self) -> float:
        return self.item()

    def __int__(self) -> int:
        if self.data.size != 1:
            raise ValueError(f"int() needs a tensor with one entry, got shape {self.shape}")
        return int(self.data.item())

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        # np.asarray(t) is t's numbers (as for torch tensors): numpy code and the models,
        # losses and gradient checks accept a Tensor wherever they accept an array
        return self.data if dtype is None else self.data.astype(dtype)

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied, as ``torch.Tensor.numpy``)."""
        return self.data

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, outside the graph (no grad)."""
        return Tensor(self.data)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def draw(self, **options: Any) -> Any:
        """The picture of the graph behind this node: :func:`tinygrad_lr.viz.draw_graph` (same
        options). In Jupyter, ``loss.draw()`` as a cell's last line shows it inline.

        The engine does not import the drawing code: the drawing package registers itself
        with :func:`tinygrad_lr.graph.register_display` when it is imported.
        """
        return graph.display(self, **options)

    def __repr__(self) -> str:
        text = np.array2string(self.data, prefix="Tensor(", separator=" ")
        extra = ""
        if self.requires_grad:
            extra += ", requires_grad=True"
        if self._fn is not None:
            extra += f", op={self.op!r}"
        if self.name is not None:
            extra += f", name={self.name!r}"
        return f"Tensor({text}{extra})"

    if TYPE_CHECKING:  # the methods the ops install (below); spelled out for the type checker

        def __add__(self, other: ArrayLike) -> Tensor: ...
        def __radd__(self, other: ArrayLike) -> Tensor: ...
        def __sub__(self, other: ArrayLike) -> Tensor: ...
        def __rsub__(self, other: ArrayLike) -> Tensor: ...
        def __mul__(self, other: ArrayLike) -> Tensor: ...
        def __rmul__(self, other: ArrayLike) -> Tensor: ...
        def __truediv__(self, other: ArrayLike) -> Tensor: ...
        def __rtruediv__(self, other: ArrayLike) -> Tensor: ...
        def __matmul__(self, other: ArrayLike) -> Tensor: ...
        def __rmatmul__(self, other: ArrayLike) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __getattr__(self, name: str) -> Callable[..., Tensor]: ...  # exp, log, maximum, ...


def as_tensor(x: ArrayLike) -> Tensor:
    """``x`` as a Tensor (a number or an array: a new leaf, which requires no gradient)."""
    return x if isinstance(x, Tensor) else Tensor(x)
