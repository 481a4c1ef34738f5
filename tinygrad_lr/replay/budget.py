"""How much of a run a replay page holds: a page stays under :data:`PAGE_LIMIT` for any run.

A page has three kinds of content, each with its own share of the limit:

* **every update's numbers** -- its loss, the parameters before and after it, its gradient, what
  the optimizer's rule noted, its epoch and its batch -- written compactly: little-endian float64
  in base64 (the exact doubles, 10.7 characters a number against about 19 in JSON). While they fit
  :data:`NUMBERS_BUDGET` every update has them. Beyond it the page keeps them for whole *blocks*
  of updates (whole epochs, at least :data:`BLOCK_MIN` updates a block, at most
  :data:`BLOCK_MAX`): the first block, the last, every block holding an update asked for, and
  evenly spaced ones between; the page says which, and ``updates.csv`` beside it keeps every update;
* **full detail** -- the graph of the update (every node's value and gradient in the three
  phases, and each sample's own numbers in a folded graph) -- for a few updates
  (:func:`detail_updates`: the first 20, log-spaced ones up to the last, and any update asked
  for), as many as fit :data:`FRAMES_BUDGET`;
* the rest: the data, the graph's layouts, the script (checked against :data:`PAGE_LIMIT` as a
  whole: a page that would still be larger is refused before anything is written).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..viz.update_graphs import GraphFrames, frame_updates
from .record import Recording, ReplayTooLargeError

__all__ = [
    "PAGE_LIMIT",
    "NUMBERS_BUDGET",
    "FRAMES_BUDGET",
    "BLOCK_MIN",
    "BLOCK_MAX",
    "MAX_ASKED",
    "NumbersPlan",
    "plan_numbers",
    "numbers_data",
    "detail_updates",
    "trim_frames",
    "spans_text",
    "read_page_data",
    "plan_of_page",
    "kept_note",
    "detail_note",
]

PAGE_LIMIT = 15_000_000  # bytes: the most a replay page may weigh, for any run
NUMBERS_BUDGET = 10_000_000  # bytes of the page for the per-update numbers
FRAMES_BUDGET = 2_500_000  # bytes of the page for the graph frames' labels and per-sample numbers
BLOCK_MIN = 20  # a block of kept updates: whole epochs, at least this many updates...
BLOCK_MAX = 1000  # ... and at most this many (one epoch of a big data set is cut into parts)
MAX_ASKED = 100  # updates one may ask to see in full detail


def b64(values: np.ndarray, dtype: str) -> str:
    """The array's numbers as little-endian ``dtype`` bytes, in base64 (exact for float64)."""
    return base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")


def _b64_chars(numbers: float, width: int) -> int:
    return 4 * math.ceil(numbers * width / 3)


def _row_dtype(n_samples: int) -> str:
    return "<u2" if n_samples <= 2**16 else "<u4"


def _all_in_order(batch: np.ndarray, n: int) -> bool:
    return len(batch) == n and bool(np.array_equal(batch, np.arange(n)))


def bytes_per_update(rec: Recording) -> float:
    """What one update's numbers cost on the page, on average (base64 characters)."""
    P = len(rec.param_names)
    widths = sum(int(v.shape[1]) for v in _notes(rec).values())
    doubles = 2 * P + 1 + widths  # before, gradient, loss, the rule's notes (after: the next before)
    sizes = [0 if _all_in_order(b, rec.n_samples) else len(b) for b in rec.batches[:1000]]
    rows = float(np.mean(sizes)) if sizes else 0.0
    row_bytes = 2 if _row_dtype(rec.n_samples) == "<u2" else 4
    per_epoch = max(1, int(np.searchsorted(rec.epoch, rec.epoch[0], side="right"))) if rec.updates else 1
    ends = (8 + 4) / per_epoch  # the loss over all samples at the end of an epoch, and where
    return (doubles * 8 + 4 + rows * row_bytes + 4 + ends) * 4 / 3  # + epoch, batch size


def _notes(rec: Recording) -> dict[str, np.ndarray]:
    return dict(getattr(rec, "notes", {}) or {})


@dataclass
class NumbersPlan:
    """Which updates' numbers a page keeps.

    Attributes:
        spans: the kept updates as ``(start, stop)`` ranges (0-based, ``stop`` excluded), in order.
        block: the size of a block (``0``: every update is kept, no blocks).
        blocks: how many blocks the run has; ``kept_blocks`` how many are kept.
    """

    spans: list[tuple[int, int]]
    block: int = 0
    blocks: int = 0
    kept_blocks: int = 0

    @property
    def kept(self) -> int:
        return sum(b - a for a, b in self.spans)

    def holds(self, k: int) -> bool:
        return any(a <= k < b for a, b in self.spans)

    def nearest(self, k: int) -> int:
        """The kept update nearest to ``k`` (the earlier one on a tie)."""
        best, dist = -1, math.inf
        for a, b in self.spans:
            c = min(max(k, a), b - 1)
            if abs(c - k) < dist:
                best, dist = c, abs(c - k)
        return best


def _block_size(rec: Recording) -> int:
    """Whole epochs of at least BLOCK_MIN updates (an epoch of more than BLOCK_MAX: a part of it)."""
    U = rec.updates
    per_epoch = int(np.searchsorted(rec.epoch, rec.epoch[0], side="right")) if U else 1
    per_epoch = max(per_epoch, 1)
    if per_epoch >= BLOCK_MAX:
        return BLOCK_MAX
    return per_epoch * math.ceil(BLOCK_MIN / per_epoch)


def plan_numbers(rec: Recording, asked: Sequence[int] = (), budget: int | None = None) -> NumbersPlan:
    """Every update while the numbers fit ``budget`` bytes (default :data:`NUMBERS_BUDGET`);
    else whole blocks (module doc)."""
    budget = NUMBERS_BUDGET if budget is None else budget
    U = rec.updates
    cost = bytes_per_update(rec)
    if U * cost <= budget:
        return NumbersPlan([(0, U)] if U else [])
    block = _block_size(rec)
    blocks = math.ceil(U / block)
    room = max(2, int(budget // (block * cost)))
    must = {0, blocks - 1} | {k // block for k in asked}
    if len(must) * block * cost > budget:
        raise ReplayTooLargeError(
            f"the {len(asked)} updates asked for keep {len(must)} blocks of {block} updates on the page, "
            f"more than its {budget / 1e6:g} MB for numbers allow: ask for fewer"
        )
    chosen = set(must)
    spare = room - len(chosen)
    if spare > 0:
        for v in np.linspace(0, blocks - 1, spare + 2)[1:-1]:
            chosen.add(int(round(float(v))))
    spans: list[tuple[int, int]] = []
    for i in sorted(chosen):
        a, b = i * block, min(U, (i + 1) * block)
        if spans and spans[-1][1] == a:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return NumbersPlan(spans, block, blocks, len(chosen))


def _index(spans: list[tuple[int, int]]) -> np.ndarray:
    return np.concatenate([np.arange(a, b) for a, b in spans]) if spans else np.zeros(0, dtype=np.int64)


def numbers_data(rec: Recording, plan: NumbersPlan) -> dict[str, Any]:
    """The kept updates' numbers as the page's script reads them (base64, see the module doc)."""
    idx = _index(plan.spans)
    P = len(rec.param_names)
    before, after = rec.before[idx], rec.after[idx]
    ends = np.array([b - 1 for _, b in plan.spans], dtype=np.int64)
    # after[k] is before[k + 1] inside a span, to the bit; only each span's last after is new
    inner = np.isin(idx, ends, invert=True)
    nxt = np.minimum(idx + 1, max(rec.updates - 1, 0))
    same = np.array_equal(after[inner].view(np.uint64), rec.before[nxt[inner]].view(np.uint64))
    batches = [rec.batches[int(k)] for k in idx]
    sizes = np.array([-1 if _all_in_order(b, rec.n_samples) else len(b) for b in batches], dtype=np.int64)
    rows = [b for b, s in zip(batches, sizes) if s >= 0]
    row_dtype = _row_dtype(rec.n_samples)
    out: dict[str, Any] = {
        "spans": [list(s) for s in plan.spans],
        "before": b64(before.reshape(-1), "<f8"),
        "after_last": b64(rec.after[ends].reshape(-1), "<f8") if same else None,
        "after": None if same else b64(after.reshape(-1), "<f8"),
        "grads": b64(rec.grads[idx].reshape(-1), "<f8"),
        "losses": b64(rec.losses[idx], "<f8"),
        "epoch": b64(rec.epoch[idx], "<i4"),
        "batch_size": int(sizes[0]) if len(sizes) and bool(np.all(sizes == sizes[0])) else b64(sizes, "<i4"),
        "batch_rows": b64(np.concatenate(rows) if rows else np.zeros(0), row_dtype),
        "row_bytes": 2 if row_dtype == "<u2" else 4,
        "notes": {name: [int(v.shape[1]), b64(v[idx].reshape(-1), "<f8")] for name, v in _notes(rec).items()},
        "P": P,
    }
    out.update(_epoch_ends(rec, idx))
    return out


def _epoch_ends(rec: Recording, idx: np.ndarray) -> dict[str, str]:
    """The kept updates that end an epoch, and that epoch's loss over all samples (the history's)."""
    losses = [] if rec.history is None else list(rec.history.losses)
    epoch = rec.epoch
    last = np.ones(len(idx), dtype=bool)
    inner = idx + 1 < rec.updates
    last[inner] = epoch[idx[inner] + 1] != epoch[idx[inner]]
    ends = [int(k) for k in idx[last] if int(epoch[k]) <= len(losses)]
    return {
        "epoch_ends": b64(np.array(ends, dtype=np.int64), "<i4"),
        "epoch_losses": b64(np.array([losses[int(epoch[k]) - 1] for k in ends], dtype=np.float64), "<f8"),
    }


def detail_updates(
    updates: int, plan: NumbersPlan, asked: Sequence[int] = (), *, first: int = 20, total: int = 60
) -> list[int]:
    """The updates with full detail: :func:`~tinygrad_lr.viz.update_graphs.frame_updates` (the
    first ``first``, then log-spaced ones up to the last), each moved to the nearest update whose
    numbers the page keeps, and every update in ``asked``."""
    picks = {plan.nearest(k) for k in frame_updates(updates, first=first, total=total)}
    return sorted((picks | set(asked)) - {-1})


def trim_frames(frames: GraphFrames, asked: Sequence[int], budget: int | None = None) -> GraphFrames:
    """``frames`` without some of its updates when their numbers would pass ``budget`` bytes
    (default :data:`FRAMES_BUDGET`):
    the first and the last drawn update and every update asked for stay; of the others, every
    other one goes, again, until the rest fit."""
    budget = FRAMES_BUDGET if budget is None else budget
    if not frames.updates:
        return frames
    cost = [len(json.dumps([frames.labels[i], frames.samples[i]])) for i in range(len(frames.updates))]
    keep = list(range(len(frames.updates)))
    stay = {0, len(keep) - 1} | {i for i, u in enumerate(frames.updates) if u in set(asked)}
    must = sum(cost[i] for i in stay)
    if must > budget:
        raise ReplayTooLargeError(
            f"the graphs of the updates asked for take {must / 1e6:.1f} MB, more than the page's "
            f"{budget / 1e6:g} MB for graphs: ask for fewer"
        )
    while sum(cost[i] for i in keep) > budget:
        others = [i for i in keep if i not in stay]
        gone = set(others[1::2]) if len(others) > 1 else set(others)
        keep = [i for i in keep if i not in gone]
    if len(keep) == len(frames.updates):
        return frames
    return GraphFrames(
        updates=[frames.updates[i] for i in keep],
        templates=frames.templates,
        dots=frames.dots,
        template=[frames.template[i] for i in keep],
        labels=[frames.labels[i] for i in keep],
        folded=[frames.folded[i] for i in keep],
        samples=[frames.samples[i] for i in keep],
        params=[frames.params[i] for i in keep],
        error=frames.error,
    )


def spans_text(updates: Sequence[int]) -> str:
    """Updates (0-based) as the page numbers them, runs joined: ``[0, 1, 2, 9] -> '1-3, 10'``."""
    out: list[str] = []
    ups = sorted(set(int(u) for u in updates))
    i = 0
    while i < len(ups):
        j = i
        while j + 1 < len(ups) and ups[j + 1] == ups[j] + 1:
            j += 1
        out.append(f"{ups[i] + 1:,}" if i == j else f"{ups[i] + 1:,}-{ups[j] + 1:,}")
        i = j + 1
    return ", ".join(out)


_DATA = re.compile(r"var REPLAY = (.*?);\n", re.S)


def read_page_data(page: str | Path) -> dict[str, Any]:
    """The data a written page holds (``REPLAY``), as the script reads it, for checks."""
    text = Path(page).read_text(encoding="utf-8")
    m = _DATA.search(text)
    if m is None:
        raise ValueError(f"{page} is not a replay page")
    raw = m.group(1).replace("<\\/", "</")
    return dict(json.loads(raw, parse_constant=float))


def plan_of_page(page: str | Path) -> dict[str, int]:
    """How many updates a written page keeps the numbers of, and how many have full detail."""
    data = read_page_data(page)
    return {
        "updates": int(data["updates"]),
        "kept": sum(b - a for a, b in data["numbers"]["spans"]),
        "detail": len(data["frames"]["updates"]),
    }


def kept_note(rec: Recording, plan: NumbersPlan) -> str | None:
    """What the page says about the updates whose numbers it keeps (``None``: every update)."""
    U = rec.updates
    if plan.kept == U:
        return None
    per_epoch = int(np.searchsorted(rec.epoch, rec.epoch[0], side="right"))
    unit = (
        f"{plan.block // per_epoch} epoch{'s' if plan.block // per_epoch > 1 else ''}"
        if plan.block % per_epoch == 0
        else "part of an epoch"
    )
    where = (
        f"updates {spans_text(_index(plan.spans).tolist())}"
        if len(plan.spans) <= 12
        else f"the first, the last and evenly spaced ones between, about one block in "
        f"{plan.blocks / plan.kept_blocks:.3g}"
    )
    return (
        f"This run has {U:,} updates, more than a page holds: to stay under {PAGE_LIMIT / 1e6:g} MB it keeps "
        f"the numbers of {plan.kept:,} of them, in {plan.kept_blocks:,} of the run's {plan.blocks:,} "
        f"blocks of {plan.block:,} updates ({unit} each): {where}. The slider and the buttons go "
        "from one kept update to the next; updates.csv, beside this page, has every update's numbers."
    )


def detail_note(rec: Recording, frames: GraphFrames, asked: Sequence[int] = ()) -> str | None:
    """What the page says about the updates with full detail (``None``: every update has it)."""
    U = rec.updates
    if len(frames.updates) == U:
        return None
    told = f", and the one{'s' if len(asked) > 1 else ''} asked for ({spans_text(asked)})" if asked else ""
    return (
        f"Full detail (the computation graph, with every node's value and gradient and each sample's "
        f"numbers) is kept for {len(frames.updates)} of the {U:,} updates: {spans_text(frames.updates)} "
        f"(the first ones, then log-spaced ones up to the last{told}); for any other update the graph "
        "panel says it has none, and the other panels show its numbers."
    )
