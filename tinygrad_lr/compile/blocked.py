"""The blocked step: the data read from memory once per step, in blocks that stay in the cache.

The exact step (:mod:`.tensor_code`) runs one numpy call per node over the whole data: for
``((w*x + b - y)**2).mean()`` it streams ``x`` through memory for ``w*x``, then ``y`` for ``-y``,
then the residual twice more for the loss and each gradient. A numpy call cannot do better:
it sees one operation. The compiled step sees the whole step, so it can walk the rows in
blocks small enough to stay in the CPU's cache and, for each block, compute the forward values,
the residual and *every* partial sum the loss and the gradient need while the block is there:
``x`` and ``y`` come from memory once. The blocks' partial sums are then added up; two threads
take a share of the blocks each (numpy releases the GIL while it computes).

Why this is exact in the math and not in the bits: a loss ``L = tail(R)`` of a sum (or mean)
``R = sum_i e_i`` over the rows has ``dL/dp = dL/dR * sum_i de_i/dp`` (plus what ``tail`` adds
itself, a penalty on ``w``): every sum splits into the blocks' sums. Each block program is the
exact step's code for ``R`` on the block's rows, returning its sums. Adding them block by block
adds the same numbers in another order; floating-point addition is not associative, so the
result differs from the exact step's in the last bits (about 1e-16 relative per addition).

What it takes (anything else is refused with the reason, and the exact step runs instead):
every input an array (or ``Tensor``) of float64 with the same number of rows ``N``; between the
inputs and the sums over all their entries (``.sum()``, ``.mean()``), only operations that work
row by row (elementwise ones, broadcast against parameters, and ``rows @ w``); after the sums,
anything on numbers and parameters (computed by the ops' own definitions, :attr:`Tail`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .. import ops
from ..graph import topological_order
from ..tensor import Tensor
from .tensor_code import tensor_program
from .trace import CannotCompile, Trace, record

__all__ = [
    "BLOCK_ROWS",
    "BlockedProgram",
    "blocked_program",
    "block_inputs",
    "dot",
    "in_threads",
    "rows_of",
    "tail_constants",
]

# rows per block: x, y and the residual's buffer, 3 x 256 KB of float64, stay in a core's 1 MB L2
# cache; smaller blocks pay Python's ~15 calls a block more often, larger ones leave L2
# (benchmarks/bench_blocked.py measures 4096 .. 65536 rows on this machine)
BLOCK_ROWS = 32768
BLAS_ONE_THREAD = 10000  # OpenBLAS runs ddot on one thread up to this many entries, on all cores above
MIN_BLOCKS_FOR_THREADS = 8  # fewer blocks: handing half of them to another thread costs more than it saves
THREADS = max(1, min(2, os.cpu_count() or 1))  # two cores: the bandwidth of one core is not the machine's
ROW_OPS = (
    ops.Add, ops.Sub, ops.Mul, ops.Div, ops.Neg, ops.Exp, ops.Log, ops.Sqrt, ops.Tanh, ops.Sigmoid,
    ops.Relu, ops.Abs, ops.Maximum, ops.Pow, ops.Power, ops.RPow, ops.MatMul, ops.LogSigmoid,
)  # fmt: skip

# a dot product of two vectors of a block (einsum('a,a->', r, x) in the exact code) is written
# dot(r, x): BLAS's ddot, 2-3x faster than einsum on data in the cache, on pieces small enough that
# OpenBLAS runs each on one thread (two threads of ours, each starting OpenBLAS's threads on every
# call, are many times slower on a shared machine)
_BLAS_DOT = re.compile(r"einsum\('a,a->', (\w+), (\w+)\)")


def dot(a: np.ndarray, b: np.ndarray) -> Any:
    """``a . b`` for two vectors, by BLAS on pieces of at most ``BLAS_ONE_THREAD`` entries (each
    on one thread of OpenBLAS; see ``_BLAS_DOT``)."""
    n = a.shape[0]
    if n <= BLAS_ONE_THREAD:
        return a.dot(b)
    step = BLAS_ONE_THREAD // 1024 * 1024
    total = a[:step].dot(b[:step])
    for i in range(step, n, step):
        total += a[i : i + step].dot(b[i : i + step])
    return total


_pool: ThreadPoolExecutor | None = None
_pool_pid = 0  # the process that made the pool: a forked child inherits it without its threads


def in_threads(jobs: Sequence[tuple[Callable[..., Any], int, int]], *inputs: Any) -> list[Any]:
    """``[share(lo, hi, *inputs) for share, lo, hi in jobs]``, all at once: the first in this
    thread, the others in a pool's threads. The results come back in the jobs' order."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():  # in a forked child, the old pool would never run
        _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="tinygrad_lr-blocks")
        _pool_pid = os.getpid()
    futures = [_pool.submit(share, lo, hi, *inputs) for share, lo, hi in jobs[1:]]
    share, lo, hi = jobs[0]
    try:
        first = share(lo, hi, *inputs)
    finally:
        rest = [f.result() for f in futures]  # never leave a thread writing into the buffers
    return [first, *rest]


class Tail:
    """What the loss does after the sums over the rows, run by the ops' own definitions.

    ``L = tail(R_1, ..., R_K, parameters)``: gives ``L``, ``dL/dR_k`` and what ``L`` adds to
    ``dL/dp`` directly (a penalty ``lam * (w**2).sum()`` does). A handful of numbers: no graph.
    """

    def __init__(self, order: list[Any], reductions: list[Any], row: set[int], params: list[Any]) -> None:
        skip = row | {id(r) for r in reductions}
        self.nodes = [n for n in order if id(n) not in skip]
        self.reductions, self.root = reductions, order[-1]
        self.param_index = {id(p): i for i, p in enumerate(params)}

    def __call__(self, sums: Sequence[Any]) -> tuple[Any, list[Any], dict[int, Any]]:
        vals: dict[int, Any] = {
            id(r): np.asarray(s, dtype=r.data.dtype) for r, s in zip(self.reductions, sums)
        }
        for node in self.nodes:
            if node._prev:
                vals[id(node)] = node._fn.forward(ops.ARRAYS, *[vals[id(p)] for p in node._prev])
            else:  # a parameter's current value, or a constant's
                vals[id(node)] = node.data
        grads: dict[int, Any] = {id(self.root): np.ones(self.root.data.shape, self.root.data.dtype)}
        for node in reversed(self.nodes):
            g = grads.get(id(node))
            if g is None or not node._prev:
                continue
            inputs = [vals[id(p)] for p in node._prev]
            for i, p in enumerate(node._prev):
                if not p.requires_grad:
                    continue
                gi = ops.dense(node._fn.vjp(ops.ARRAYS, i, g, inputs, vals[id(node)]))
                gi = ops.unbroadcast(np.asarray(gi), p.data.shape)
                grads[id(p)] = gi if id(p) not in grads else grads[id(p)] + gi
        d_sums = [grads.get(id(r), 0.0) for r in self.reductions]
        direct = {self.param_index[i]: g for i, g in grads.items() if i in self.param_index}
        return vals[id(self.root)], d_sums, direct


class BlockedProgram:
    """The pieces of one blocked step, for one shape of the inputs (see :func:`blocked_program`)."""

    def __init__(
        self, source: str, run: Callable[..., float], rows: int, block_rows: int, threads: int
    ) -> None:
        self.source, self.run = source, run
        self.rows, self.block_rows, self.threads = rows, block_rows, threads


def rows_of(inputs: Sequence[Any]) -> int:
    """The number of rows the inputs share (CannotCompile if they are not float64 arrays of rows)."""
    if not inputs:
        raise CannotCompile("the blocked mode walks the step's inputs in blocks: the step has no inputs")
    rows = set()
    for i, x in enumerate(inputs):
        data = x.data if isinstance(x, Tensor) else x
        if not isinstance(data, np.ndarray) or data.ndim == 0:
            raise CannotCompile(f"input {i} is not an array of rows (got {type(x).__name__})")
        if data.dtype != np.float64:
            raise CannotCompile(f"input {i} is {data.dtype}: the blocked mode sums float64 data")
        if getattr(x, "requires_grad", False):
            raise CannotCompile(f"input {i} requires grad: only the optimizer's parameters may")
        rows.add(data.shape[0])
    if len(rows) != 1:
        raise CannotCompile(f"the inputs have different numbers of rows ({sorted(rows)})")
    n = rows.pop()
    if n == 0:
        raise CannotCompile("the inputs have no rows")
    return n


def block_inputs(inputs: Sequence[Any], lo: int, hi: int) -> list[Any]:
    """Rows lo:hi of every input (views; a Tensor input as a Tensor)."""
    out: list[Any] = []
    for x in inputs:
        if isinstance(x, np.ndarray):
            out.append(x[lo:hi])
        else:  # a Tensor: the function sees a Tensor, as it will in the exact step
            out.append(Tensor(x.data[lo:hi]))
    return out


def _split(trace: Trace, rows: int) -> tuple[set[int], list[Any]]:
    """The row nodes (computed row by row from the inputs) and the sums over every row."""
    row: set[int] = set()
    late: set[int] = set()  # the sums over all rows and what is computed from them
    reductions: list[Any] = []
    for node in trace.order:
        if not node._prev:
            if trace.leaf(node).kind == "input":
                row.add(id(node))
            continue
        from_rows = [id(p) in row for p in node._prev]
        if any(id(p) in late for p in node._prev):
            if any(from_rows):
                raise CannotCompile(
                    "the rows meet a sum over all rows (r - r.mean()): a block would need the whole sum first"
                )
            late.add(id(node))
        if not any(from_rows):
            continue
        fn = node._fn
        if isinstance(fn, (ops.Sum, ops.Mean)) and fn.reduces_everything(node._prev[0].data.ndim):
            reductions.append(node)
            late.add(id(node))
            continue
        _check_row_op(node, from_rows, rows)
        row.add(id(node))
    if id(trace.root) in row or not reductions:
        raise CannotCompile(
            "the loss is not a sum (or mean) over the rows: there is nothing to add up in blocks"
        )
    return row, reductions


def tail_constants(trace: Trace) -> list[Any]:
    """The constants the loss uses after its sums over rows (``1/n`` of a mean written out)."""
    rows = next(nd.data.shape[0] for nd in trace.order if not nd._prev and trace.leaf(nd).kind == "input")
    row, reductions = _split(trace, rows)
    tail = Tail(trace.order, reductions, row, [])
    return [nd.data.tolist() for nd in tail.nodes if not nd._prev and trace.leaf(nd).kind == "const"]


def _check_row_op(node: Any, from_rows: list[bool], rows: int) -> None:
    out = node.data
    name = type(node._fn).__name__
    if not isinstance(node._fn, ROW_OPS):
        raise CannotCompile(f"the op {name} on the data does not work row by row")
    if out.ndim == 0 or out.shape[0] != rows:
        raise CannotCompile(f"the op {name} on the data does not keep its rows (shape {out.shape})")
    for p, is_row in zip(node._prev, from_rows):
        if (
            not isinstance(node._fn, ops.MatMul)
            and not is_row
            and p.data.ndim == out.ndim
            and p.data.shape[0] != 1
        ):
            raise CannotCompile(
                f"the op {name} mixes the data's rows with an array of {p.data.shape[0]} rows"
            )
    if isinstance(node._fn, ops.MatMul) and (from_rows[1] or node._prev[0].data.ndim != 2):
        raise CannotCompile("a matrix product on the data must be rows @ w (a 2-d array of rows on the left)")


def _structure(order: list[Any]) -> list[Any]:
    pos = {id(n): i for i, n in enumerate(order)}
    return [(type(n._fn).__name__, tuple(pos[id(p)] for p in n._prev)) for n in order]


def blocked_program(
    fn: Callable[..., Any],
    trace: Trace,
    inputs: Sequence[Any],
    params: list[Any],
    names: list[str],
    block_rows: int = BLOCK_ROWS,
) -> BlockedProgram:
    """The blocked step for ``fn`` on inputs of these shapes. ``trace``: the step's graph on these
    inputs or on their first rows (it tells the row part from the sums and the tail).

    Raises :class:`CannotCompile` (with the reason) for a step that is not a sum over rows.
    """
    n = rows_of(inputs)
    traced_rows = next(
        nd.data.shape[0] for nd in trace.order if not nd._prev and trace.leaf(nd).kind == "input"
    )
    row, reductions = _split(trace, traced_rows)
    positions = {id(node): i for i, node in enumerate(trace.order)}
    red_pos = [positions[id(r)] for r in reductions]
    sizes = [min(block_rows, n)] + ([n % block_rows] if n > block_rows and n % block_rows else [])
    block_traces = {}
    for size in sizes:  # the step traced on one block's rows (and on the last, shorter block)
        try:
            t = record(fn, block_inputs(inputs, 0, size), params)
        except CannotCompile:
            raise
        except Exception as e:  # noqa: BLE001 - the function does not run on a block of rows
            raise CannotCompile(
                f"the function fails on a block of {size} rows ({type(e).__name__}: {e})"
            ) from None
        if _structure(t.order) != _structure(trace.order):
            raise CannotCompile("the graph on a block of rows differs from the graph on all rows")
        block_traces[size] = t
    nblocks = -(-n // block_rows)
    threads = THREADS if nblocks >= MIN_BLOCKS_FOR_THREADS else 1
    if any(p.data.dtype != np.float64 for p in params):
        raise CannotCompile("the blocked mode adds up float64 gradients: every parameter must be float64")
    names = _safe_names(names)
    shown, namespaces = _block_functions(block_traces, red_pos, params, names, threads)
    tail = Tail(trace.order, reductions, row, params)
    reached = [
        [i for i, p in enumerate(params) if p.requires_grad and any(q is p for q in topological_order(r))]
        for r in reductions
    ]
    tail_params = {  # the parameters the ops after the sums use themselves (a penalty's w)
        tail.param_index[id(p)]
        for nd in tail.nodes
        for p in nd._prev
        if id(p) in tail.param_index and p.requires_grad
    }
    kinds = ["mean" if isinstance(r._fn, ops.Mean) else "sum" for r in reductions]
    trivial = trace.root is reductions[0] and len(reductions) == 1
    described = None if trivial else f"tail({', '.join(f'R{j + 1}' for j in range(len(kinds)))})"
    tensor_inputs = [not isinstance(x, np.ndarray) for x in inputs]
    share_src = _share_source(names, kinds, reached, params, sizes, n)
    main_src = _main_source(
        names, tensor_inputs, kinds, reached, params, n, block_rows, threads, described, tail_params
    )
    ns_main: dict[str, Any] = {"np": np, "in_threads": in_threads, "tail": tail}
    for i, p in enumerate(params):
        ns_main[f"param_{_label(p, i)}"] = p
    for k in range(threads):
        ns = dict(namespaces[k])
        exec(compile(share_src, "<compiled share>", "exec"), ns)  # noqa: S102 - our own generated code
        ns_main[f"share{k}"] = ns["share"]
    exec(compile(main_src, "<compiled forward_backward>", "exec"), ns_main)  # noqa: S102
    source = main_src + "\n\n" + share_src + "\n\n" + shown
    return BlockedProgram(source, ns_main["forward_backward"], n, block_rows, threads)


def _block_functions(
    block_traces: dict[int, Trace], red_pos: list[int], params: list[Any], names: list[str], threads: int
) -> tuple[str, list[dict[str, Any]]]:
    """Each thread's own copy of the block code (its own buffers), and the code to show."""
    full = max(block_traces)  # the rows of a whole block (the other size: the last, shorter block)
    namespaces: list[dict[str, Any]] = []
    shown = ""
    for _ in range(threads):
        ns: dict[str, Any] = {}
        for size, t in block_traces.items():
            for j, pos in enumerate(red_pos):
                root = t.order[pos]
                sub = Trace("tensor", root, topological_order(root), t.leaves)
                fname = f"block{j + 1}" + ("" if size == full else "_last")
                src, fns = tensor_program(sub, params, names, None, name=fname, returns_grads=True)
                src = _BLAS_DOT.sub(r"dot(\1, \2)", src)  # see _BLAS_DOT
                fns["dot"] = dot
                exec(compile(src, f"<compiled {fname}>", "exec"), fns)  # noqa: S102 - our own generated code
                ns[fname] = fns[fname]
                if size == full and not namespaces:
                    shown += src + "\n"
        namespaces.append(ns)
    return shown, namespaces


def _label(p: Any, i: int) -> str:
    name = getattr(p, "name", None)
    return name if isinstance(name, str) and name.isidentifier() and name[0] != "_" else f"p{i}"


_GENERATED = re.compile(r"(r|R|g|dR|dL_dR|block|share|param_)\d|param_")  # names the driver's code uses


def _safe_names(names: list[str]) -> list[str]:
    """The inputs' names, unless one would clash with a name of the driver's code (then ``in0``...)."""
    taken = {"lo", "hi", "start", "stop", "c", "parts", "np", "in_threads", "tail", "L", "direct", "dot"}
    return [f"in{i}" if n in taken or _GENERATED.match(n) else n for i, n in enumerate(names)]


def _share_source(
    names: list[str], kinds: list[str], reached: list[list[int]], params: list[Any], sizes: list[int], n: int
) -> str:
    args = ", ".join(names)
    block = sizes[0]
    sums = [f"R{j + 1}" for j in range(len(kinds))] + [
        f"dR{j + 1}_d{_label(params[i], i)}" for j in range(len(kinds)) for i in reached[j]
    ]
    lines = [
        f"def share(lo, hi, {args}):",
        f'    """Rows lo:hi of {args}, block after block: each block is read from memory once, and',
        "    everything computed from it (forward values, residual, partial sums) is computed while",
        '    it is in the cache."""',
        f"    {' = '.join(sums)} = 0.0",
        f"    for start in range(lo, hi, {block}):",
        f"        stop = min(start + {block}, hi)",
    ]
    rows = ", ".join(f"{x}[start:stop]" for x in names)
    for j, kind in enumerate(kinds):
        k = j + 1
        got = ", ".join(f"g{k}_{_label(p, i)}" if i in reached[j] else "_" for i, p in enumerate(params))
        got += "," if len(params) == 1 else ""
        call = f"block{k}" if len(sizes) == 1 else f"(block{k} if stop - start == {block} else block{k}_last)"
        lines.append(f"        r{k}, ({got}) = {call}({rows})")
        if kind == "mean":
            lines.append(
                f"        c = (stop - start) / {n}  # R{k} is a mean over all {n} rows: this block's share"
            )
            weight = "c * "
        else:
            weight = ""
        lines.append(f"        R{k} += {weight}r{k}")
        lines += [
            f"        dR{k}_d{_label(params[i], i)} += {weight}g{k}_{_label(params[i], i)}"
            for i in reached[j]
        ]
    lines.append(f"    return {', '.join(sums)}")
    return "\n".join(lines) + "\n"


def _main_source(
    names: list[str],
    tensor_inputs: list[bool],
    kinds: list[str],
    reached: list[list[int]],
    params: list[Any],
    n: int,
    block: int,
    threads: int,
    tail: str | None,
    tail_params: set[int],
) -> str:
    args = ", ".join(names)
    nblocks = -(-n // block)
    cuts = [min(n, (t * nblocks // threads) * block) for t in range(threads)] + [n]
    lines = [f"def forward_backward({args}):"]
    lines += [f"    {x} = {x}.data" for x, t in zip(names, tensor_inputs) if t]
    lines.append(f"    # {args}: {n} rows, walked once per step in {nblocks} block(s) of {block} rows")
    if threads > 1:
        jobs = ", ".join(f"(share{t}, {cuts[t]}, {cuts[t + 1]})" for t in range(threads))
        lines.append(
            f"    # {threads} threads at once, each on its own share of the blocks (numpy lets go of the GIL)"
        )
        lines.append(f"    parts = in_threads([{jobs}], {args})")
        lines.append("    # the shares' sums, added in a fixed order: the same bits on every run")
    else:
        lines.append(f"    parts = [share0(0, {n}, {args})]")
    sums = [f"R{j + 1}" for j in range(len(kinds))] + [
        f"dR{j + 1}_d{_label(params[i], i)}" for j in range(len(kinds)) for i in reached[j]
    ]
    for s, name in enumerate(sums):
        lines.append(f"    {name} = {' + '.join(f'parts[{t}][{s}]' for t in range(threads))}")
    everything = set().union(*map(set, reached))
    if tail is None:
        lines.append("    # L = R1: its gradient is the sums'")
        for i, p in enumerate(params):
            value = f"np.array(dR1_d{_label(p, i)})" if i in everything else "None"
            lines.append(f"    param_{_label(p, i)}.grad = {value}")
        lines.append("    return float(R1)")
        return "\n".join(lines) + "\n"
    rs = ", ".join(f"R{j + 1}" for j in range(len(kinds)))
    ds = ", ".join(f"dL_dR{j + 1}" for j in range(len(kinds))) + ("," if len(kinds) == 1 else "")
    lines.append(
        f"    # after the sums: L = {tail}, by the ops' own definitions (dL/dR, and what it adds to dL/dp)"
    )
    lines.append(f"    L, ({ds}), direct = tail([{rs}])")
    for i, p in enumerate(params):
        terms = [f"direct[{i}]"] if i in tail_params else []
        terms += [f"dL_dR{j + 1} * dR{j + 1}_d{_label(p, i)}" for j in range(len(kinds)) if i in reached[j]]
        value = f"np.array({' + '.join(terms)})" if terms else "None"
        lines.append(f"    param_{_label(p, i)}.grad = {value}")
    lines.append("    return float(L)")
    return "\n".join(lines) + "\n"
