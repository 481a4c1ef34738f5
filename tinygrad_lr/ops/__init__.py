"""The operations: THE place an operation is defined, one file per family.

* :mod:`.base`: what an op is (:class:`Op`: how it prints, its forward, its derivative written
  once for every engine), and the registry both engines take their methods from;
* the ops, one file per family: :mod:`.elementwise` (``+ - * /``, negation,
  ``exp log sqrt tanh sigmoid logsigmoid relu abs``, ``maximum``), :mod:`.powers` (``a ** n``, ``a ** b``,
  ``c ** a``), :mod:`.reductions` (``sum``, ``mean``), :mod:`.shape` (reshape, transpose,
  broadcast, indexing, concatenate, stack), :mod:`.matmul` (``@``);
* the toolboxes an op's ``xp`` stands for: :mod:`.floats` (Python floats, the ``Value``
  engine), :mod:`.arrays` (numpy, the ``Tensor`` engine) and :mod:`.graphs` (graph nodes, for
  gradients of gradients); the compiler brings its own (:mod:`tinygrad_lr.compile.code`);
* :mod:`.broadcast`: undoing broadcasting once, and gradients kept as ``number * array``
  (``Scaled``): the ``Tensor`` engine's fast paths.

Adding an op is one class with ``@register`` (docs/engine.md, "Adding an op").
"""

from __future__ import annotations

from .arrays import ARRAYS, Arrays
from .base import (
    ATOM,
    CALL,
    INFIX,
    NEGATION,
    ONE,
    POSTFIX,
    POWER,
    PREFIX,
    PRODUCT,
    SUM,
    Binary,
    Function,
    Nary,
    Op,
    Unary,
    as_op,
    check_method_names,
    get,
    method_names,
    on_register,
    register,
    registered,
    registry,
    unregister,
)
from .broadcast import (
    Grad,
    Scaled,
    broadcast_axes,
    dense,
    scatter,
    spread,
    unbroadcast,
    unbroadcast_product,
    uniform_value,
)
from .elementwise import (
    Abs,
    Add,
    Div,
    Exp,
    Log,
    LogSigmoid,
    Maximum,
    Mul,
    Neg,
    Relu,
    Sigmoid,
    Sqrt,
    Sub,
    Tanh,
)
from .floats import FLOATS, Floats
from .graphs import GRAPHS, Graphs, sum_to
from .matmul import MatMul
from .powers import Pow, Power, RPow
from .reductions import Mean, Sum
from .shape import BroadcastTo, Concatenate, GetItem, Reshape, ScatterAdd, Stack, Transpose

PowTensor = Power  # its name before the ops became one package

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
    "ARRAYS",
    "Arrays",
    "FLOATS",
    "Floats",
    "GRAPHS",
    "Graphs",
    "sum_to",
    "Scaled",
    "Grad",
    "dense",
    "unbroadcast",
    "unbroadcast_product",
    "broadcast_axes",
    "uniform_value",
    "spread",
    "scatter",
    "ATOM",
    "POWER",
    "NEGATION",
    "PRODUCT",
    "SUM",
    "INFIX",
    "PREFIX",
    "POSTFIX",
    "CALL",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Neg",
    "Pow",
    "Power",
    "PowTensor",
    "RPow",
    "Exp",
    "Log",
    "Sqrt",
    "Tanh",
    "Sigmoid",
    "LogSigmoid",
    "Relu",
    "Abs",
    "Maximum",
    "Sum",
    "Mean",
    "Reshape",
    "Transpose",
    "BroadcastTo",
    "GetItem",
    "ScatterAdd",
    "MatMul",
    "Concatenate",
    "Stack",
]
