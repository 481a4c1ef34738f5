"""The backward pass replayed node by node, with each chain-rule step written out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import ops
from ..graph import topological_order
from ..tensor import Tensor, input_grads
from .draw import broadcasts, copy_grad
from .limits import check_root
from .names import derivative, factor, ids_of_params, node_names, node_role, num, short_names, summary

_START = "(the start: the loss changes one for one with itself)"


@dataclass(frozen=True)
class Contribution:
    """One use of a node: ``dL/d(consumer) * d(consumer)/d(node)``, with real numbers."""

    consumer: Any  # the node computed from this one
    consumer_name: str
    upstream: Any  # dL/d(consumer), complete when this step runs (an array for a Tensor)
    local: float | None  # d(consumer)/d(node), stored by the forward pass (None for a Tensor)
    local_expr: str  # the local derivative written out, e.g. "2*(-2)" for d(r**2)/dr at r = -2;
    # for a Tensor: the contribution's values, and the sum over the broadcast axes if any
    value: Any  # the contribution itself: upstream * local (for a Tensor, summed to the node's shape)


@dataclass(frozen=True)
class BackwardStep:
    """One frame of the walkthrough: the node whose gradient the chain rule just completed."""

    index: int  # 0 for the loss itself, then in the order the chain rule visits the nodes
    node: Any
    name: str
    grad: Any  # dL/d(node), the sum of the contributions (1 for the loss; an array for a Tensor;
    # None for a Tensor that does not require grad)
    contributions: tuple[Contribution, ...]  # one per use of the node; () for the loss
    caption: str  # e.g. "dL/dw = dL/d(w*x) * d(w*x)/dw = -4 * 1 = -4"


def _local_expr(consumer: Any, index: int, local: float) -> str:
    """The local derivative as a learner would work it out (``2*(-2)`` for ``r**2`` at -2), as
    the op's definition writes it (:meth:`tinygrad_lr.ops.Op.local_text`); else the number."""
    args = [factor(num(p.data)) for p in consumer._prev]
    text = consumer.grad_fn.local_text(index, args, num)
    return text if text is not None else num(local)


def _caption(name: str, root_name: str, contributions: Sequence[Contribution], grad: float) -> str:
    """``dL/dn = dL/dc * dc/dn [+ ...] = numbers = result``, in docs/sources.md section 2's notation.

    Every step is written in full, the loss's own inputs too (``dL/dL3 = dL/dL * dL/dL3 = 1 * 1 = 1``):
    the first factor is always the gradient already known, the second the local derivative."""
    lhs = derivative(root_name, name)
    terms = list(contributions)
    symbols = [
        f"{derivative(root_name, c.consumer_name)} * {derivative(c.consumer_name, name)}" for c in terms
    ]
    numbers = [
        f"{num(c.upstream) if k == 0 else factor(num(c.upstream))} * {factor(c.local_expr)}"
        for k, c in enumerate(terms)
    ]  # -4 * 1 + (-8) * 2: a sign never follows an operator
    if len(terms) > 6:  # a parameter shared by many samples: the first uses, then the last
        uses = f" ({len(terms)} uses)"
        symbols = [*symbols[:2], "...", symbols[-1]]
        numbers = [*numbers[:3], "...", numbers[-1]]
        return f"{lhs} = {' + '.join(symbols)} = {' + '.join(numbers)} = {num(grad)}{uses}"
    return f"{lhs} = {' + '.join(symbols)} = {' + '.join(numbers)} = {num(grad)}"


def without_step(order: Sequence[Any], root: Any, params: Iterable[Any] | None = None) -> set[int]:
    """The leaves the chain rule takes no step for: a plain number (the ``2`` of ``2*w``), and
    the data of a loss summed over samples (``x1``, ``y1``: labelled, or numbers the names find
    to be data). Training needs no gradient for them; a parameter, or the ``x`` of a one-sample
    graph such as ``x**2``, keeps its step."""
    named = node_names(order, root)
    param_ids = ids_of_params(params)
    out = set()
    for node in order:
        if node._prev or node is root or isinstance(node, Tensor):
            continue
        role = node_role(node, param_ids, named.data)
        if role == "const" or id(node) in named.data or (role == "data" and id(node) in named.sample):
            out.add(id(node))
    return out


def backward_steps(
    root: Any, *, only: Iterable[Any] | None = None, names: dict[int, str] | None = None,
    params: Iterable[Any] | None = None, every_node: bool = False,
) -> list[BackwardStep]:
    """Replay the backward pass from ``root``: one step per node, in the chain rule's order.

    The order is ``reversed(topological_order(root))``, the order in which
    :func:`~tinygrad_lr.graph.run_backward` visits the nodes: a node comes after every node
    computed from it, so when its step runs, its gradient is complete. Each step adds up, over
    the node's uses, ``dL/d(use) * d(use)/d(node)`` with the local derivatives the forward pass
    stored, in the same order as ``backward()``: the step's ``grad`` equals the node's ``grad``
    after one ``root.backward()`` (for a leaf whose gradient started at 0). Data and plain numbers
    get no step (:func:`without_step`; ``params``: the parameters) unless ``every_node`` (the lab).

    Works before ``backward()`` too; it does not change the graph.

    ``only``: the nodes whose steps to write out (every gradient is still added up, so theirs are
    the same; the others' captions are skipped, the cost of a large graph). ``names``: the nodes'
    names if known (:func:`~tinygrad_lr.viz.names.short_names` of the graph), else worked out.

    Example:
        >>> from tinygrad_lr import Value
        >>> w = Value(1.0, label="w")
        >>> f = w * 1.0
        >>> f.label = "f"
        >>> L = (f - 3.0) ** 2
        >>> [s.caption for s in backward_steps(L)][-1]
        'dL/dw = dL/df * df/dw = -4 * 1 = -4'
    """
    check_root(root, "backward_steps")
    order = topological_order(root)
    wanted = None if only is None else {id(node) for node in only}
    if isinstance(root, Tensor):  # a small graph: every step, then the wanted ones
        return [s for s in _tensor_steps(order, root, names) if wanted is None or id(s.node) in wanted]
    if names is None:
        names = short_names(order, root)
    skipped = set() if every_node else without_step(order, root, params)
    uses: dict[int, list[tuple[Any, int]]] = {}
    for consumer in reversed(order):  # the order backward() adds the contributions in
        for i, parent in enumerate(consumer._prev):
            uses.setdefault(id(parent), []).append((consumer, i))
    grads: dict[int, float] = {}
    steps: list[BackwardStep] = []
    root_name = names[id(root)]
    index = -1  # the step's number in the chain rule's order: the data's nodes take none
    for node in reversed(order):
        if id(node) in skipped:
            continue
        index, name = index + 1, names[id(node)]
        if node is root:
            grad = 0.0
            grad += 1.0  # the seed dL/dL = 1, added as backward() adds it
            caption = f"{derivative(root_name, root_name)} = 1 {_START}"
            if wanted is None or id(node) in wanted:
                steps.append(BackwardStep(index, node, name, grad, (), caption))
            grads[id(node)] = grad
            continue
        if wanted is not None and id(node) not in wanted:  # its gradient only, added as below
            grad = 0.0
            for consumer, i in uses[id(node)]:
                grad += grads[id(consumer)] * consumer._local[i]
            grads[id(node)] = grad
            continue
        contributions = []
        grad = 0.0
        for consumer, i in uses[id(node)]:
            local = consumer._local[i]
            up = grads[id(consumer)]
            c = Contribution(
                consumer, names[id(consumer)], up, local, _local_expr(consumer, i, local), up * local
            )
            grad += c.upstream * c.local  # dL/d(node) += dL/d(consumer) * d(consumer)/d(node)
            contributions.append(c)
        grads[id(node)] = grad
        steps.append(
            BackwardStep(
                index, node, name, grad, tuple(contributions), _caption(name, root_name, contributions, grad)
            )
        )
    return steps


def _tensor_steps(order: list[Any], root: Any, names: dict[int, str] | None) -> list[BackwardStep]:
    """:func:`backward_steps` for a Tensor graph: each op's own backward, replayed."""
    import numpy as np

    if names is None:
        names = short_names(order, root)
    root_name = names[id(root)]
    uses: dict[int, list[tuple[Any, int]]] = {}
    for consumer in reversed(order):
        for i, parent in enumerate(consumer._prev):
            uses.setdefault(id(parent), []).append((consumer, i))
    grads: dict[int, Any] = {}
    passed: dict[int, Any] = {}  # what each op's backward hands its parents
    steps: list[BackwardStep] = []
    for index, node in enumerate(reversed(order)):
        name = names[id(node)]
        if node is root:
            grads[id(node)] = np.ones_like(node.data)
            caption = f"{derivative(root_name, root_name)} = 1 {_START}"
            steps.append(BackwardStep(index, node, name, grads[id(node)], (), caption))
            continue
        if not node.requires_grad:
            caption = f"{derivative(root_name, name)}: not computed ({name} is data, requires_grad=False)"
            steps.append(BackwardStep(index, node, name, None, (), caption))
            continue
        contributions = []
        grad = None
        for consumer, i in uses.get(id(node), []):
            up = grads.get(id(consumer))
            if up is None:
                continue
            if id(consumer) not in passed:
                passed[id(consumer)] = input_grads(consumer, up)
            raw = passed[id(consumer)][i]
            if raw is None:
                continue
            raw = np.asarray(raw)
            value = raw if raw.shape == node.shape else ops.unbroadcast(raw, node.shape)
            full = raw if raw.shape != node.shape else None
            if full is None and node.shape != consumer.shape and broadcasts(consumer):
                full = copy_grad(consumer, i, up)
            if full is not None:
                axes = ops.broadcast_axes(full.shape, node.shape)
                over = f"axis {axes[0]}" if len(axes) == 1 else f"axes {axes}"
                expr = f"sum over {over} of {summary(full)}"
            else:
                expr = summary(value)
            contributions.append(Contribution(consumer, names[id(consumer)], up, None, expr, value))
            grad = value if grad is None else grad + value
        grads[id(node)] = grad
        symbols = " + ".join(
            f"{derivative(root_name, c.consumer_name)} * {derivative(c.consumer_name, name)}"
            for c in contributions
        )
        numbers = " + ".join(c.local_expr for c in contributions)
        result = "(no path to the loss)" if grad is None else summary(grad)
        lhs = derivative(root_name, name)
        if not contributions:
            caption = f"{lhs} = 0 (no path to the loss)"
        elif numbers == result:
            caption = f"{lhs} = {symbols} = {result}"
        else:
            caption = f"{lhs} = {symbols} = {numbers} = {result}"
        steps.append(BackwardStep(index, node, name, grad, tuple(contributions), caption))
    return steps


def walkthrough_text(root: Any) -> str:
    """The backward pass from ``root`` as text, one line per chain-rule step."""
    steps = backward_steps(root)
    width = len(str(len(steps)))
    lines = [f"backward pass of {steps[0].name}: {len(steps)} steps, from the loss back to the leaves"]
    lines += [f"{s.index + 1:>{width}}. {s.caption}" for s in steps]
    return "\n".join(lines)
