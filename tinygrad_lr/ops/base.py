"""What an operation is: one definition holds everything the framework knows about it.

An op is a small class. Its name and how it prints (``a + b``, ``-a``, ``a^2``, ``tanh(a)``), its
forward computation and its derivative are written once, in terms of a *toolbox* ``xp``: the
same definition then runs on whatever numbers it is given::

    class Tanh(Unary):
        name = "tanh"

        def forward(self, xp, a):
            return xp.tanh(a)

        def dL_da(self, xp, g, a, out):          # dL/da = dL/d(out) * d(out)/da
            return g * (1.0 - out * out)         # d(tanh a)/da = 1 - tanh(a)^2

``g`` is ``dL/d(out)``, the gradient arriving from above; ``dL_da`` returns ``dL/da``, this op's
share of the chain rule. ``xp`` is ``math`` for Python floats (the ``Value`` engine), numpy for
arrays (the ``Tensor`` engine), graph operations when a gradient is built as a graph
(``backward(create_graph=True)``: so second derivatives come free), and a code writer when a
training step is compiled. Operators (``+ - * /``) work on all of them as they are.

An op may also carry a *fast path*: :meth:`Op.scalar` computes a ``Value``'s output and local
derivatives on floats in one go, without the toolbox (the scalar engine builds one node per
number, so it matters there). A test checks that it agrees with the definition to the bit.

:func:`register` adds an op to the registry; both engines subscribe to it and grow a method
(``Value.tanh``, ``Tensor.tanh``). That is the whole of adding an op: one class, one decorator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, TypeVar

from .arrays import ARRAYS

__all__ = [
    "Op",
    "Unary",
    "Binary",
    "Nary",
    "Function",
    "ONE",
    "register",
    "unregister",
    "registered",
    "get",
    "registry",
    "on_register",
    "as_op",
    "method_names",
    "check_method_names",
    "ATOM",
    "POWER",
    "NEGATION",
    "PRODUCT",
    "SUM",
    "INFIX",
    "PREFIX",
    "POSTFIX",
    "CALL",
]

# how tightly a way of writing binds: an operand of lower precedence goes in parentheses
ATOM, POWER, NEGATION, PRODUCT, SUM = 5, 4, 3, 2, 1
# the ways an op is written: a + b, -a, a^2, tanh(a)
INFIX, PREFIX, POSTFIX, CALL = "infix", "prefix", "postfix", "call"

T = TypeVar("T", bound="type[Op]")


class _One:
    """The number 1 as ``dL/d(out)`` when an engine asks an op for its *local* derivative.

    ``dL/da`` with ``dL/d(out) = 1`` is ``d(out)/da``, the local derivative the ``Value`` engine
    stores. With graph nodes, ``1 * x`` would build a node for nothing; ``ONE * x`` is ``x``
    itself, ``ONE / x`` is ``1.0 / x`` and ``-ONE`` is ``-1.0``, so the derivative graph has
    exactly the nodes of the formula.
    """

    __slots__ = ()

    def __mul__(self, other: Any) -> Any:
        return other

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        return 1.0 / other

    def __neg__(self) -> float:
        return -1.0

    def __float__(self) -> float:
        return 1.0

    def __repr__(self) -> str:
        return "ONE"


ONE = _One()


class Op:
    """One differentiable operation (see the module docstring).

    Class attributes describe the op; an instance is the op with its parameters (``Pow(2.0)``,
    ``Sum(axis=0)``). The ``Tensor`` engine makes one instance per node and records in
    ``needs`` which inputs want a gradient; the ``Value`` engine shares one instance per op.

    Attributes:
        name: the registry's key and the method name (``"tanh"``); also names the op in errors.
        symbol: ``node.op``, the op as printouts show it (``"+"``, ``"**2"``, ``"tanh"``).
        label: the op in a picture's ellipse and in formulas (``"^2"`` for ``"**2"``).
        form: ``INFIX`` (``a + b``), ``PREFIX`` (``-a``), ``POSTFIX`` (``a^2``) or ``CALL`` (``tanh(a)``).
        precedence: how tightly the written form binds (``SUM`` < ``PRODUCT`` < ... < ``ATOM``).
        operands: the precedence each operand needs to go without parentheses.
        tight: written without spaces in formulas (``w*x``, ``a/b``, ``a^b``).
        methods: the names the engines install it under (``("__add__",)``); reflected: the
            names for the reflected form (``3 + a``: ``("__radd__",)``).
        engines: which engines have it (``"value"``, ``"tensor"``).
        rules: the derivative in words, one per input (comments in compiled code, docs).
        domain: for each input, a range of numbers where the op is defined and smooth (the
            gradient checks draw their points from it).
        takes_scaled: the ``Tensor`` engine may hand ``dL_da`` a ``Scaled`` gradient.
        broadcasts: an elementwise op whose inputs broadcast against each other.
    """

    name: ClassVar[str] = ""
    symbol: Any = ""  # a str; a property for ops whose symbol holds a parameter
    form: ClassVar[str] = CALL
    precedence: ClassVar[int] = ATOM
    operands: ClassVar[tuple[int, ...]] = (ATOM, ATOM)
    tight: ClassVar[bool] = False
    methods: ClassVar[tuple[str, ...] | None] = None  # None: (name,)
    reflected: ClassVar[tuple[str, ...]] = ()
    engines: ClassVar[tuple[str, ...]] = ("value", "tensor")
    rules: ClassVar[tuple[str, ...]] = ()
    domain: ClassVar[tuple[tuple[float, float], ...] | None] = None
    arity: ClassVar[int] = 1  # 0: any number of inputs
    takes_scaled: ClassVar[bool] = False
    broadcasts: ClassVar[bool] = False
    __slots__ = ("needs",)
    needs: tuple[bool, ...]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name and "symbol" not in cls.__dict__:
            cls.symbol = cls.name

    # --- the math ---------------------------------------------------------------------------

    def forward(self, xp: Any, *inputs: Any) -> Any:
        """The output, from the inputs (floats, arrays or symbols; ``xp`` holds the functions)."""
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def vjp(self, xp: Any, i: int, g: Any, inputs: Sequence[Any], out: Any) -> Any:
        """``dL/d(input i)``, given ``g = dL/d(out)`` (the chain rule at this op's node)."""
        raise NotImplementedError(f"{type(self).__name__} has no derivative")

    def array_grads(self, g: Any, parents: Sequence[Any], out: Any) -> Sequence[Any]:
        """The ``Tensor`` engine's chain rule at this node: ``dL/d(parent)`` on the parents' arrays,
        for each parent that ``needs`` one (``None`` for the others)."""
        arrays = [p.data for p in parents]
        return [self.vjp(ARRAYS, i, g, arrays, out) if need else None for i, need in enumerate(self.needs)]

    scalar: ClassVar[Callable[..., tuple[float, tuple[float, ...]]] | None] = None
    """The ``Value`` engine's fast path: ``scalar(a[, b]) -> (out, local derivatives)`` on floats."""

    def fast_path(self) -> Callable[..., tuple[float, tuple[float, ...]]] | None:
        """:attr:`scalar`, if it is this op's: a subclass that redefines the forward or the
        derivative but not ``scalar`` gets None (its definition is then run on floats)."""
        if self.scalar is None:
            return None
        mro = type(self).__mro__
        owner = next(k for k in mro if "scalar" in k.__dict__)
        for name in ("forward", "vjp", "dL_da", "dL_db"):
            definer = next((k for k in mro if name in k.__dict__), owner)
            if definer is not owner and issubclass(definer, owner):
                return None
        return self.scalar

    @staticmethod
    def smooth_at(*inputs: Any) -> bool:
        """False at a kink (``relu`` at 0), where a second derivative does not exist."""
        return True

    # --- how it prints ----------------------------------------------------------------------

    @property
    def label(self) -> str:
        return str(self.symbol)

    def rule(self, i: int) -> str:
        """``d(out)/d(input i)`` in words, e.g. ``"d(a*b)/da = b"``."""
        return self.rules[i] if i < len(self.rules) else f"d({self.symbol})/d(input {i})"

    def local_text(self, i: int, args: Sequence[str], num: Callable[[float], str]) -> str | None:
        """The local derivative worked out as a learner would, e.g. ``2*(-2)`` for ``r**2`` at
        ``r = -2`` (``args``: the inputs' numbers, written by ``num``); None: just the number."""
        return None

    def formula(self, args: Sequence[str], precs: Sequence[int], code: bool = False) -> tuple[str, int]:
        """This op applied to ``args`` (written with precedences ``precs``): the text and its
        precedence. ``code=False``: as formulas in pictures (``w*x1 + b``, ``(f1 - y1)^2``);
        ``code=True``: as Python writes it (``w * x + b``, ``r**2``)."""

        def operand(k: int, tighter: int) -> str:
            s, p = args[k], precs[k]
            needs = p < tighter or (p == ATOM and s.startswith("-") and tighter > SUM)
            return f"({s})" if needs else s

        if self.form == POSTFIX:
            return f"{operand(0, ATOM)}{self.symbol if code else self.label}", self.precedence
        if self.form == PREFIX:
            return f"{self.label}{operand(0, self.operands[0])}", self.precedence
        if self.form == INFIX and len(args) == 2:
            text = str(self.symbol) if code else self.label
            left, right = operand(0, self.operands[0]), operand(1, self.operands[1])
            middle = text if self.tight and not code else f" {text} "
            return f"{left}{middle}{right}", self.precedence
        return f"{self.symbol}({', '.join(args)})", ATOM

    def __repr__(self) -> str:
        return f"<op {self.symbol}>"


class Unary(Op):
    """An op of one input ``a``: define ``forward(xp, a)`` and ``dL_da(xp, g, a, out)``."""

    arity = 1
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        """``dL/da = dL/d(out) * d(out)/da``."""
        raise NotImplementedError(f"{type(self).__name__} has no derivative")

    def vjp(self, xp: Any, i: int, g: Any, inputs: Sequence[Any], out: Any) -> Any:
        return self.dL_da(xp, g, inputs[0], out)

    def array_grads(self, g: Any, parents: Sequence[Any], out: Any) -> Sequence[Any]:
        return (self.dL_da(ARRAYS, g, parents[0].data, out),)  # one input: it is what needs it


class Binary(Op):
    """An op of two inputs ``a, b``: ``forward(xp, a, b)``, ``dL_da`` and ``dL_db``."""

    arity = 2
    __slots__ = ()

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def dL_da(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no derivative")

    def dL_db(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no derivative")

    def vjp(self, xp: Any, i: int, g: Any, inputs: Sequence[Any], out: Any) -> Any:
        a, b = inputs
        return self.dL_da(xp, g, a, b, out) if i == 0 else self.dL_db(xp, g, a, b, out)

    def array_grads(self, g: Any, parents: Sequence[Any], out: Any) -> Sequence[Any]:
        (a, b), (need_a, need_b) = parents, self.needs
        a, b = a.data, b.data
        return (
            self.dL_da(ARRAYS, g, a, b, out) if need_a else None,
            self.dL_db(ARRAYS, g, a, b, out) if need_b else None,
        )


class Nary(Op):
    """An op of any number of inputs (``concatenate``, ``stack``): ``vjp`` per input ``i``."""

    arity = 0
    __slots__ = ()


class Function:
    """A ``Tensor`` operation written directly in numpy: ``forward(*arrays)``, ``backward(grad)``.

    The engine runs it as it runs any op, but it is opaque: it has no definition in a toolbox,
    so ``backward(create_graph=True)`` cannot differentiate it twice (unless it defines
    ``backward_graph``) and ``compile_step`` runs it eagerly. Prefer an :class:`Op`.
    """

    symbol: ClassVar[str] = "?"
    takes_scaled: ClassVar[bool] = False
    __slots__ = ("needs",)
    needs: tuple[bool, ...]

    def forward(self, *arrays: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        raise NotImplementedError(f"{type(self).__name__} has no graph-building backward")

    def array_grads(self, g: Any, parents: Sequence[Any], out: Any) -> Sequence[Any]:
        return self.backward(g)


# --- the registry ---------------------------------------------------------------------------------

_REGISTRY: dict[str, type[Op]] = {}
Listener = Callable[["type[Op] | None", "type[Op] | None"], None]
_LISTENERS: list[Listener] = []


def on_register(listener: Listener) -> None:
    """Call ``listener(added, removed)`` whenever the registry changes, and now for every op in it.

    ``added`` is the op registered (or None), ``removed`` the op it replaces or that was taken out
    (or None). The engines subscribe at import time, so an op registered at any time gets its
    methods, and loses them again when it is unregistered.
    """
    _LISTENERS.append(listener)
    for op in list(_REGISTRY.values()):
        listener(op, None)


def register(op: T) -> T:
    """Add ``op`` (an :class:`Op` subclass) to the registry: both engines grow its methods.

    Use it as a class decorator. A plain class with ``name``, ``forward`` and ``dL_da`` (a
    learner's, which imports nothing from the framework) is made a :class:`Unary` op first.
    Registering a name again replaces the op of that name.
    """
    cls = as_op(op)
    if not cls.name or not cls.name.isidentifier():
        raise ValueError(f"register: an op needs a name that is a Python identifier, got {cls.name!r}")
    previous = _REGISTRY.get(cls.name)
    told: list[Listener] = []
    try:
        for listener in list(_LISTENERS):
            listener(cls, previous)  # an engine refuses a method name it has for something else
            told.append(listener)
    except Exception:
        for listener in reversed(told):  # as it was: no engine keeps half of the op
            listener(previous, cls)
        raise
    _REGISTRY[cls.name] = cls
    return cls  # type: ignore[return-value]


def method_names(cls: type[Op]) -> tuple[str, ...]:
    """The names an engine installs ``cls`` under: its ``methods`` (default: its name), reflected too."""
    return (cls.methods if cls.methods is not None else (cls.name,)) + cls.reflected


def check_method_names(
    engine: type, added: type[Op] | None, removed: type[Op] | None, installed: set[str], which: str
) -> None:
    """Refuse an op whose method would replace something of ``engine`` that no op gave it
    (an op called ``backward`` or ``data``); a name an op gave may be given again."""
    if added is None or which not in added.engines:
        return
    freed = set(method_names(removed)) if removed is not None else set()
    for name in method_names(added):
        if hasattr(engine, name) and name not in installed and name not in freed:
            raise ValueError(
                f"register: the op {added.name!r} would become {engine.__name__}.{name}, "
                f"which {engine.__name__} already has for something else; name the op otherwise"
            )


def unregister(name: str, restore: type[Op] | None = None) -> None:
    """Take the op ``name`` out of the registry (and the engines' methods), or put ``restore`` back."""
    current = _REGISTRY.pop(name, None)
    if current is None:
        return
    if restore is not None:
        _REGISTRY[name] = restore
    for listener in list(_LISTENERS):
        listener(restore, current)


@contextlib.contextmanager
def registered(op: type[Any]) -> Iterator[type[Op]]:
    """Register ``op`` for the duration of the block, then leave the registry as it was."""
    cls = as_op(op)
    previous = _REGISTRY.get(cls.name)
    register(cls)
    try:
        yield cls
    finally:
        unregister(cls.name, restore=previous)


def get(name: str) -> type[Op]:
    """The registered op called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no op {name!r} is registered (known: {', '.join(sorted(_REGISTRY))})") from None


def registry() -> dict[str, type[Op]]:
    """Every registered op, by name (a copy)."""
    return dict(_REGISTRY)


def as_op(plain: type) -> type[Op]:
    """``plain`` as an op class: an :class:`Op` subclass as it is; a learner's plain class
    (``name``, ``forward``, ``dL_da``, imported from nowhere) as a :class:`Unary` op."""
    if isinstance(plain, type) and issubclass(plain, Op):
        return plain
    missing = [a for a in ("name", "forward", "dL_da") if not hasattr(plain, a)]
    if missing:
        raise TypeError(f"register: {plain!r} is not an op: it needs {', '.join(missing)}")
    body: dict[str, Any] = {}
    for klass in reversed(plain.__mro__[:-1]):  # a subclass's methods over its base's
        body.update({k: v for k, v in vars(klass).items() if k not in ("__dict__", "__weakref__")})
    body["__slots__"] = ()
    return type(plain.__name__, (Unary,), body)
