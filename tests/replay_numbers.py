"""The numbers a written replay page holds, read back independently of the code that wrote them;
and long recordings made fast (:func:`sgd_recording`), without a slow fit.

The page keeps every kept update's numbers in base64 (little-endian float64 and int32, see
tinygrad_lr/replay/budget.py); :func:`page_numbers` decodes them with numpy alone, so tests can
compare them with the recording, to the bit.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_lr.replay import Recording


def page_data(page: Path) -> dict[str, Any]:
    """The page's ``REPLAY`` object."""
    text = Path(page).read_text(encoding="utf-8")
    m = re.search(r"var REPLAY = (\{.*?\});\n", text, re.S)
    assert m is not None, f"{page} holds no REPLAY data"
    return dict(json.loads(m.group(1).replace("<\\/", "</")))


def _array(s: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype=dtype)


def page_numbers(page: Path) -> dict[str, Any]:
    """Per kept update (``kept``: their 0-based numbers): before, after, grads, losses, epoch,
    batches (``None``: all samples in order) and notes; and the epoch losses with their updates."""
    C = page_data(page)["numbers"]
    P = C["P"]
    kept = np.concatenate([np.arange(a, b) for a, b in C["spans"]]) if C["spans"] else np.zeros(0, int)
    before = _array(C["before"], "<f8").reshape(-1, P)
    if C["after"] is not None:
        after = _array(C["after"], "<f8").reshape(-1, P)
    else:
        last = _array(C["after_last"], "<f8").reshape(-1, P)
        after = np.empty_like(before)
        i = 0
        for s, (a, b) in enumerate(C["spans"]):
            after[i : i + b - a - 1] = before[i + 1 : i + b - a]
            after[i + b - a - 1] = last[s]
            i += b - a
    sizes = (
        np.full(len(kept), C["batch_size"])
        if isinstance(C["batch_size"], int)
        else _array(C["batch_size"], "<i4")
    )
    rows = _array(C["batch_rows"], "<u2" if C["row_bytes"] == 2 else "<u4")
    batches: list[np.ndarray | None] = []
    at = 0
    for size in sizes:
        if size < 0:
            batches.append(None)
        else:
            batches.append(rows[at : at + size].astype(np.int64))
            at += size
    return {
        "kept": kept,
        "before": before,
        "after": after,
        "grads": _array(C["grads"], "<f8").reshape(-1, P),
        "losses": _array(C["losses"], "<f8"),
        "epoch": _array(C["epoch"], "<i4"),
        "batches": batches,
        "notes": {n: _array(v, "<f8").reshape(-1, w) for n, (w, v) in C["notes"].items()},
        "epoch_ends": _array(C["epoch_ends"], "<i4"),
        "epoch_losses": _array(C["epoch_losses"], "<f8"),
    }


def sgd_recording(updates: int, n: int = 100, lr: float = 1e-4) -> Recording:
    """SGD in order on n points with the MSE loss of one sample, ``(w x + b - y)^2``, worked out
    in plain Python floats: ``grad = 2 (w x + b - y) [x, 1]``, ``p <- p - lr * grad``."""
    rng = np.random.default_rng(7)
    x = rng.uniform(30.0, 70.0, n)
    y = 1.2 * x + 5.0 + rng.normal(0.0, 3.0, n)
    xs, ys = x.tolist(), y.tolist()
    rows, w, b = [], 0.0, 0.0
    for k in range(updates):
        i = k % n
        r = w * xs[i] + b - ys[i]
        gw, gb = 2.0 * r * xs[i], 2.0 * r
        nw, nb = w - lr * gw, b - lr * gb
        rows.append((w, b, gw, gb, nw, nb, r * r))
        w, b = nw, nb
    a = np.array(rows).reshape(-1, 7)
    return Recording(
        X=x[:, None],
        y=y,
        feature_names=["x"],
        target_name="y",
        param_names=["w", "b"],
        bias=True,
        engine="value",
        lr=lr,
        optimizer="sgd",
        description="SGD (one sample per update)",
        loss_name="mse",
        before=a[:, 0:2],
        after=a[:, 4:6],
        grads=a[:, 2:4],
        losses=a[:, 6],
        epoch=np.arange(updates) // n + 1,
        batches=[np.array([k % n]) for k in range(updates)],
        constants={"lr": lr},
    )
