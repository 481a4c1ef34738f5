"""An independent twin of a lab run for the lab's browser tests: the same situation computed with
the public API directly (LinearRegression, the loss, the optimizer classes, topological_order,
numpy's lstsq), never with the lab's own code, and the numbers a lab page shows read back from
its data attributes."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from tinygrad_lr import (
    GD,
    SGD,
    Adam,
    LinearRegression,
    Momentum,
    Value,
    max_stable_lr,
    mse,
    sse,
)
from tinygrad_lr.graph import topological_order

TOL = 1e-12
RULES = {"gd": None, "adam": Adam, "momentum": Momentum}


class Twin:
    """The lab's rules, restated: a drag or new data starts a new run (a fresh optimizer, epoch 1);
    a new lr keeps the optimizer's memory; a new rule starts a new optimizer; new batching starts
    a new epoch."""

    def __init__(self, x: list[float], y: list[float], w: float, b: float, *, engine: str = "value") -> None:
        self.engine, self.loss, self.lr, self.rule, self.batching = engine, "sse", 0.01, "gd", "gd"
        self.options: dict[str, Any] = {}
        self.x, self.y = list(x), list(y)
        self.start(w, b)

    def start(self, w: float, b: float) -> None:
        self.model = LinearRegression(w=w, b=b, engine=self.engine)
        self.new_optimizer()
        self.path = [(w, b)]
        self.pos = 0

    def new_optimizer(self) -> None:
        params = self.model.parameters()
        if self.rule == "gd":
            cls = {"gd": GD, "sgd": SGD}[self.batching]
            self.opt = cls(params, self.lr)
        else:
            self.opt = RULES[self.rule](params, lr=self.lr, batch_size=1 if self.batching == "sgd" else None)

    @property
    def params(self) -> tuple[float, float]:
        w, b = self.model.param_vector()
        return float(w), float(b)

    def rows(self) -> list[int]:
        n = len(self.x)
        return list(range(n)) if self.batching == "gd" else [self.pos % n]

    def loss_fn(self) -> Any:
        return sse if self.loss == "sse" else mse

    def batch_graph(self, model: LinearRegression | None = None) -> Any:
        m = model or self.model
        rows = self.rows()
        X = np.array([self.x[r] for r in rows])
        Y = [self.y[r] for r in rows]
        if self.engine == "value":
            L = self.loss_fn()(m(X), [Value(v) for v in Y])
        else:
            L = self.loss_fn()(m(X), np.array(Y))
        return L

    def step(self) -> None:
        self.opt.zero_grad()
        self.batch_graph().backward()
        self.opt.step()
        self.path.append(self.params)
        self.pos += 1

    def full_loss(self, w: float, b: float) -> float:
        m = LinearRegression(w=w, b=b, engine=self.engine)
        return float(np.asarray(self.loss_fn()(m(np.array(self.x)), np.array(self.y)).data))

    def next_params(self) -> tuple[float, float]:
        """Where the next update goes: taken for real, then the parameters and the optimizer's
        memory put back as they were."""
        import copy

        params = self.model.parameters()
        data = [copy.deepcopy(p.data) for p in params]
        memory = [copy.deepcopy(dict(self.opt.state[p])) for p in params]
        path, pos = list(self.path), self.pos
        self.step()
        after = self.params
        for p, d, m in zip(params, data, memory):
            p.data = d
            self.opt.state[p].clear()
            self.opt.state[p].update(m)
        self.path, self.pos = path, pos
        return after

    def expected(self) -> dict[str, Any]:
        """Every number the page shows, computed here."""
        w, b = self.params
        self.model.zero_grad()
        L = self.batch_graph()
        L.backward()
        g = {name: float(np.asarray(p.grad).reshape(-1)[0]) for name, p in self.model.named_parameters()}
        X = np.array(self.x)
        f = self.model.predict(X)
        A = np.stack([X, np.ones_like(X)], axis=1)
        star = np.linalg.lstsq(A, np.array(self.y), rcond=None)[0]
        nw, nb = self.next_params()
        nodes = {
            f"n{k}": {"data": _plain(node.data), "grad": _plain(node.grad)}
            for k, node in enumerate(topological_order(L))
        }
        out = {
            "loss": self.full_loss(w, b),
            "batch_loss": float(np.asarray(L.data)),
            "grad.w": g["w"],
            "grad.b": g["b"],
            "lr": self.lr,
            "next.w": nw,
            "next.b": nb,
            "next.loss": self.full_loss(nw, nb),
            "stable.gd": max_stable_lr(X, self.loss),
            "w": w,
            "b": b,
            "x": self.x,
            "y": self.y,
            "f": f.tolist(),
            "r": (f - np.array(self.y)).tolist(),
            "arrow": [w - self.lr * g["w"], b - self.lr * g["b"]],
            "star": star.tolist(),
            "path": [list(p) for p in self.path],
            "losses": [self.full_loss(pw, pb) for pw, pb in self.path],
            "nodes": nodes,
            "graph": L,
        }
        if self.batching == "sgd":
            out["stable.sgd"] = max_stable_lr(X, self.loss, batch_size=1)
        return out


def _plain(x: Any) -> Any:
    return None if x is None else np.asarray(x, dtype=float).tolist()


READ = """
const out = {keys: {}, nodes: {}, inputs: {}};
document.querySelectorAll('[data-key][data-value]').forEach(e => {
  out.keys[e.dataset.key] = JSON.parse(e.dataset.value);
});
document.querySelectorAll('#graph .template:not([hidden]) g.node[data-nid]').forEach(g => {
  const d = g.dataset;
  out.nodes[d.nid] = {name: d.name, data: JSON.parse(d.data), grad: JSON.parse(d.grad)};
});
const pts = [...document.querySelectorAll('#data-svg circle.point')];
out.x = pts.map(c => Number(c.dataset.x)); out.y = pts.map(c => Number(c.dataset.y));
const res = [...document.querySelectorAll('#data-svg line.residual')];
out.f = res.map(l => Number(l.dataset.f)); out.r = res.map(l => Number(l.dataset.r));
const fit = document.querySelector('#data-svg line.fit');
out.line = {x: JSON.parse(fit.dataset.x), f: JSON.parse(fit.dataset.f)};
const now = document.querySelector('#landscape-svg circle.now');
out.now = [Number(now.dataset.w), Number(now.dataset.b)];
const arrow = document.querySelector('#landscape-svg g.gradarrow');
out.arrow = [Number(arrow.dataset.w), Number(arrow.dataset.b)];
const next = document.querySelector('#landscape-svg circle.next');
out.next = next ? [Number(next.dataset.w), Number(next.dataset.b)] : null;
const star = document.querySelector('#landscape-svg text.star');
out.star = [Number(star.dataset.w), Number(star.dataset.b)];
out.path = JSON.parse(document.querySelector('#landscape-svg polyline.path').dataset.path);
out.losses = JSON.parse(document.querySelector('#loss-svg polyline.losscurve').dataset.losses);
['w-input', 'b-input', 'lr-input'].forEach(id => {
  out.inputs[id] = Number(document.getElementById(id).value);
});
const cap = document.getElementById('chain-caption');
out.chain = {node: cap.dataset.node, caption: cap.textContent};
return out;
"""


def wait_idle(driver: Any, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if driver.execute_script("return !!(window.labIdle && window.labIdle())"):
            time.sleep(0.05)
            if driver.execute_script("return window.labIdle()"):
                return
        time.sleep(0.03)
    raise AssertionError("the lab page did not settle")


def shown(driver: Any) -> dict[str, Any]:
    wait_idle(driver)
    return driver.execute_script(READ)


def close(a: Any, b: Any, what: str) -> None:
    if a is None or b is None:  # a Tensor that requires no grad has none (data X, y)
        assert a is None and b is None, f"{what}: shown {a}, expected {b}"
        return
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a_arr.shape == b_arr.shape, f"{what}: shape {a_arr.shape} shown, {b_arr.shape} expected"
    ok = np.abs(a_arr - b_arr) <= TOL * np.maximum(1.0, np.maximum(np.abs(a_arr), np.abs(b_arr)))
    assert np.all(ok), f"{what}: shown {a}, expected {b}"


def check_page(driver: Any, twin: Twin) -> dict[str, Any]:
    """Every number the page shows against the twin's, to 1e-12; returns what was read."""
    page = shown(driver)
    want = twin.expected()
    keys = page["keys"]
    for key in ("loss", "batch_loss", "grad.w", "grad.b", "lr", "next.w", "next.b", "next.loss", "stable.gd"):
        close(keys[key], want[key], key)
    if "stable.sgd" in want:
        close(keys["stable.sgd"], want["stable.sgd"], "stable.sgd")
    for key in ("x", "y", "f", "r", "arrow", "losses"):
        close(page[key], want[key], key)
    close([p[:2] for p in page["path"]], want["path"], "path")
    close([p[2] for p in page["path"]], want["losses"], "the path's losses")
    close(page["star"], want["star"], "least squares")
    close(page["now"], [want["w"], want["b"]], "the landscape's point")
    close(page["next"], [want["next.w"], want["next.b"]], "the next update's point")
    close([page["inputs"]["w-input"], page["inputs"]["b-input"]], [want["w"], want["b"]], "w, b inputs")
    close(page["inputs"]["lr-input"], want["lr"], "lr input")
    m = LinearRegression(w=want["w"], b=want["b"], engine=twin.engine)
    close(page["line"]["f"], m.predict(np.array(page["line"]["x"])), "the line's ends")
    assert page["nodes"], "no graph shown"
    for nid, node in page["nodes"].items():
        close(node["data"], want["nodes"][nid]["data"], f"graph node {nid} ({node['name']}) data")
        close(node["grad"], want["nodes"][nid]["grad"], f"graph node {nid} ({node['name']}) grad")
    check_chain(page, want)
    return page


def check_chain(page: dict[str, Any], want: dict[str, Any]) -> None:
    """The chain-rule panel: its total is the node's gradient, each term upstream * local."""
    nid = page["chain"]["node"]
    keys = page["keys"]
    close(keys["chain.grad"], want["nodes"][nid]["grad"], f"chain rule total at {nid}")
    terms = sorted(k for k in keys if k.startswith("chain.value."))
    if terms:
        total = sum(np.asarray(keys[k], dtype=float) for k in terms)
        close(total, want["nodes"][nid]["grad"], f"chain rule terms at {nid}")
    for k in terms:
        i = k.rsplit(".", 1)[1]
        if f"chain.local.{i}" in keys:
            close(keys[k], keys[f"chain.upstream.{i}"] * keys[f"chain.local.{i}"], f"term {i} at {nid}")


def to_json(x: Any) -> str:
    return json.dumps(x)


class CliLab:
    """``tinygrad-lr lab --no-browser --port 0`` in a process of its own, as a learner starts it.

    (A lab served from a thread of the test process would share the engine's grad mode --
    ``no_grad`` is one switch per process -- with the twin's computations in the test's thread.)
    """

    def __init__(self) -> None:
        import subprocess
        import sys

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tinygrad_lr", "lab", "--no-browser", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "the lab is at " not in line:
            self.stop()
            raise AssertionError(f"tinygrad-lr lab did not start: {line!r}")
        self.address = line.split("the lab is at ", 1)[1].strip()
        self.token = self.address.split("token=", 1)[1]

    def url(self, fragment: str = "") -> str:
        return self.address + (f"#{fragment}" if fragment else "")

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.communicate(timeout=20)  # and closes the pipes
        finally:
            self.proc.kill()
