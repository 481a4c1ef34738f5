"""Graph pictures and the step-by-step backward walkthrough (tinygrad_lr.viz, `tinygrad-lr graph`).

The worked example of SOURCE.md section 2, first sample: L = (w*x + b - y)^2 at w=1, b=0, x=1,
y=3. By hand: w*x = 1, f = w*x + b = 1, f - y = -2, L = 4; dL/d(f-y) = 2*(f-y) = -4,
dL/dy = -dL/d(f-y) = 4, dL/df = dL/d(w*x) = dL/db = -4, dL/dw = dL/d(w*x) * x = -4,
dL/dx = dL/d(w*x) * w = -4.
"""

from __future__ import annotations

import ast
import contextlib
import html
import operator
import os
import re
import shutil
import tempfile

import graphviz
import numpy as np
import pytest

from tinygrad_lr import Tensor, Value
from tinygrad_lr.cli import main
from tinygrad_lr.compare import assert_close
from tinygrad_lr.graph import topological_order
from tinygrad_lr.viz import (
    BackwardStep,
    GraphTooLargeError,
    GraphvizNotFoundError,
    backward_steps,
    draw_graph,
    graphviz_install_hint,
    save_graph,
    walkthrough_frames,
    walkthrough_text,
    write_walkthrough,
)

HAND = {  # name -> (data, dL/d(node)), worked out by hand above
    "w": (1.0, -4.0),
    "x": (1.0, -4.0),
    "w*x": (1.0, -4.0),
    "b": (0.0, -4.0),
    "f": (1.0, -4.0),
    "y": (3.0, 4.0),
    "f - y": (-2.0, -4.0),
    "L": (4.0, 1.0),
}


def worked_example(w: float = 1.0, b: float = 0.0, x: float = 1.0, y: float = 3.0) -> dict[str, Value]:
    nodes = {
        "w": Value(w, label="w"),
        "b": Value(b, label="b"),
        "x": Value(x, label="x"),
        "y": Value(y, label="y"),
    }
    nodes["w*x"] = nodes["w"] * nodes["x"]
    nodes["f"] = nodes["w*x"] + nodes["b"]
    nodes["f"].label = "f"
    nodes["f - y"] = nodes["f"] - nodes["y"]
    nodes["L"] = nodes["f - y"] ** 2
    nodes["L"].label = "L"
    return nodes


def three_points(loss: str = "sse") -> tuple[Value, Value, Value]:
    """SOURCE.md section 2's training set x = 1, 2, 3, y = 3, 5, 7 at w = 1, b = 0."""
    from tinygrad_lr.losses import get_loss

    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    preds, targets = [], []
    for i, (x, y) in enumerate([(1.0, 3.0), (2.0, 5.0), (3.0, 7.0)], 1):
        f = w * Value(x, label=f"x{i}") + b
        f.label = f"f{i}"
        preds.append(f)
        targets.append(Value(y, label=f"y{i}"))
    L = get_loss(loss)[1](preds, targets)
    L.label = "L"
    return L, w, b


def parse(dot: graphviz.Digraph) -> tuple[dict[str, dict[str, str]], list[tuple[str, str]]]:
    """Nodes (id -> attributes, label lines joined by '|') and edges of a Digraph's DOT source."""
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str]] = []
    for line in dot.source.splitlines():
        m = re.match(r"^\s*(\w+) -> (\w+)", line)
        if m:
            edges.append((m.group(1), m.group(2)))
            continue
        m = re.match(r"^\s*(\w+) \[(.*)\]$", line)
        if m and m.group(1) not in ("node", "edge", "graph"):
            attrs = dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', m.group(2)))
            nodes[m.group(1)] = {k: v.strip('"').replace("\\n", "|") for k, v in attrs.items()}
    return nodes, edges


def by_name(nodes: dict[str, dict[str, str]]) -> dict[str, str]:
    """Value boxes by the name on their first line ("w (parameter)" -> "w", "f = w*x + b" -> "f")."""
    out = {}
    for nid, attrs in nodes.items():
        if not nid.endswith("op") and "label" in attrs:
            out[attrs["label"].split("|")[0].split(" = ")[0].split(" (")[0]] = nid
    return out


# --- the picture -------------------------------------------------------------------------------


def test_worked_example_nodes_and_edges() -> None:
    n = worked_example()
    nodes, edges = parse(draw_graph(n["L"]))
    names = by_name(nodes)
    assert set(names) == set(HAND)
    ops = {nid: a["label"] for nid, a in nodes.items() if a.get("class") == "op"}
    assert sorted(ops.values()) == sorted(["*", "+", "-", "^2"])
    op_of = {label: nid for nid, label in ops.items()}
    expected = {
        (names["w"], op_of["*"]), (names["x"], op_of["*"]), (op_of["*"], names["w*x"]),
        (names["w*x"], op_of["+"]), (names["b"], op_of["+"]), (op_of["+"], names["f"]),
        (names["f"], op_of["-"]), (names["y"], op_of["-"]), (op_of["-"], names["f - y"]),
        (names["f - y"], op_of["^2"]), (op_of["^2"], names["L"]),
    }  # fmt: skip
    assert set(edges) == expected and len(edges) == len(expected)


def test_labels_carry_data_and_gradients_after_backward() -> None:
    n = worked_example()
    n["L"].backward()
    nodes, _ = parse(draw_graph(n["L"]))
    for name, nid in by_name(nodes).items():
        data, grad = HAND[name]
        lines = nodes[nid]["label"].split("|")
        assert lines[1] == f"data {data:g}", name
        assert lines[2] == f"grad {grad:g}", name


def test_before_backward_gradients_are_not_computed_yet_never_zero() -> None:
    n = worked_example()
    source = draw_graph(n["L"]).source
    assert source.count("grad ? (not computed yet)") == 8
    assert "grad 0" not in source and "grad -" not in source
    n["L"].backward()
    assert "not computed" not in draw_graph(n["L"]).source
    assert draw_graph(n["L"], grads=False).source.count("not computed yet") == 8


def test_a_real_zero_gradient_is_drawn_as_zero() -> None:
    n = worked_example(w=2.0, b=1.0)  # f = 3 = y: a perfect fit, every gradient below L is 0
    n["L"].backward()
    nodes, _ = parse(draw_graph(n["L"]))
    names = by_name(nodes)
    assert nodes[names["w"]]["label"].endswith("grad 0")
    assert nodes[names["L"]]["label"].endswith("grad 1")


def test_parameters_data_and_constants_look_different() -> None:
    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    L = (w * Value(1.0, label="x") + b - 3.0) ** 2  # 3.0 becomes an unlabelled constant
    nodes, _ = parse(draw_graph(L))
    kinds = {a["label"].split("|")[0]: a["class"] for a in nodes.values() if a.get("class") != "op"}
    assert kinds["w (parameter)"] == kinds["b (parameter)"] == "param"
    assert kinds["x (data)"] == "data" and kinds["3"] == "const"  # a plain number: its value, not "constant"
    fills = {a["class"]: a["fillcolor"] for a in nodes.values() if "fillcolor" in a}
    assert len({fills["param"], fills["data"], fills["const"]}) == 3
    nodes, _ = parse(draw_graph(L, params=[w]))  # said explicitly: b is not a parameter now
    assert {a["label"].split("|")[0] for a in nodes.values() if a.get("class") == "param"} == {
        "w (parameter)"
    }


def test_rankdir_left_to_right_by_default_top_to_bottom_on_request() -> None:
    L = worked_example()["L"]
    assert "rankdir=LR" in draw_graph(L).source
    assert "rankdir=TB" in draw_graph(L, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(L, rankdir="sideways")


def test_the_dot_source_is_deterministic() -> None:
    assert draw_graph(worked_example()["L"]).source == draw_graph(worked_example()["L"]).source


# --- saving --------------------------------------------------------------------------------------


def test_save_svg_png_pdf_and_dot(tmp_path) -> None:
    n = worked_example()
    n["L"].backward()
    dot = draw_graph(n["L"])
    svg = html.unescape(save_graph(dot, tmp_path / "g.svg").read_text())  # Graphviz writes - as &#45;
    assert "<svg" in svg and "grad -4" in svg and "w (parameter)" in svg
    assert save_graph(dot, tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert save_graph(dot, tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    assert save_graph(dot, tmp_path / "g.dot").read_text() == dot.source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.pdf", "g.png", "g.svg"]  # no temp files
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf or \.dot"):
        save_graph(dot, tmp_path / "g.jpeg")


def test_missing_dot_writes_the_source_and_says_how_to_install(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    dot = draw_graph(worked_example()["L"])
    with pytest.raises(GraphvizNotFoundError) as info:
        save_graph(dot, tmp_path / "g.svg")
    message = str(info.value)
    assert "\n" not in message
    assert graphviz_install_hint() in message and "g.dot" in message
    assert (tmp_path / "g.dot").read_text() == dot.source
    assert not (tmp_path / "g.svg").exists()
    assert main(["graph", "-o", str(tmp_path / "c.svg")]) == 2  # the command line: one line, exit 2
    assert (tmp_path / "c.dot").exists() and not (tmp_path / "c.svg").exists()
    with pytest.raises(GraphvizNotFoundError):
        write_walkthrough(worked_example()["L"], tmp_path / "walk")
    assert not (tmp_path / "walk").exists()  # a walkthrough is written whole or not at all


@pytest.mark.parametrize(
    ("platform", "os_release", "command"),
    [
        ("linux", 'ID=debian\nVERSION_ID="12"\n', "sudo apt-get install graphviz"),
        ("linux", "ID=ubuntu\nID_LIKE=debian\n", "sudo apt-get install graphviz"),
        ("linux", 'ID="fedora"\n', "sudo dnf install graphviz"),
        ("linux", "ID=arch\n", "sudo pacman -S graphviz"),
        ("linux", "ID=alpine\n", "sudo apk add graphviz"),
        ("darwin", None, "brew install graphviz"),
        ("win32", None, "winget install graphviz"),
    ],
)
def test_install_hint_per_platform(platform: str, os_release: str | None, command: str) -> None:
    assert graphviz_install_hint(platform, os_release).startswith(command)


# --- large graphs: the node limit and folding ------------------------------------------------------


def many_points(n: int) -> tuple[Value, Value, Value]:
    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    total = None
    for i in range(1, n + 1):
        e = (w * Value(float(i), label=f"x{i}") + b - Value(2.0 * i + 1, label=f"y{i}")) ** 2
        total = e if total is None else total + e
    total.label = "L"
    return total, w, b


def test_the_node_limit_refuses_with_the_count_and_what_to_do() -> None:
    L, _, _ = many_points(50)
    # per sample: x, y, w*x, f, f-y, e (6 boxes) and *, +, -, **2; w, b; 49 additions (box + op)
    total = 50 * 10 + 2 + 49 * 2
    assert total == 600
    with pytest.raises(GraphTooLargeError) as info:
        draw_graph(L)  # the default limit is 500
    message = str(info.value)
    assert "600 nodes" in message and "max_nodes=500" in message and "fold" in message
    assert "\n" not in message
    assert len(parse(draw_graph(L, max_nodes=600))[0]) == 600
    with pytest.raises(GraphTooLargeError, match="even folded"):
        draw_graph(L, fold=True, max_nodes=10)
    chain = Value(1.0, label="a")
    for _ in range(300):  # one long chain: nothing repeats, so folding cannot help
        chain = chain * 1.0
    with pytest.raises(GraphTooLargeError, match="no repeated per-sample subgraphs to fold"):
        draw_graph(chain, fold=True)


def test_fold_draws_one_sample_marked_xN_with_summed_parameter_gradients() -> None:
    L, w, b = three_points()
    L.backward()
    assert (L.data, w.grad, b.grad) == (29.0, -40.0, -18.0)  # SOURCE.md section 2
    dot = draw_graph(L, fold=True)
    nodes, edges = parse(dot)
    assert 'label="x3' in dot.source  # the folded box
    labels = [a["label"] for a in nodes.values() if a.get("class") != "op"]
    assert "w (parameter)|data 1|grad -40 (sum over 3 samples)" in labels
    assert "b (parameter)|data 0|grad -18 (sum over 3 samples)" in labels
    assert "x_i (data)|data 1 ... 3|grad -8 ... -4" in labels  # dL/dx_i = 2(w x_i + b - y_i) w
    assert "y_i (data)|data 3 ... 7|grad 4 ... 8" in labels
    assert "L = L_i summed over 3 samples|data 29|grad 1" in labels
    assert "f_i = w*x_i + b|data 1 ... 3|grad -8 ... -4" in labels
    assert "L_i = (f_i - y_i)^2|data 4 ... 16|grad 1" in labels
    # 7 boxes (x, y, w*x, f, f-y, e, L) + w, b; 4 ops per sample drawn once + the sum of 3
    assert len(labels) == 9 and len(nodes) - len(labels) == 5
    # edges into the representative sample's ops come from the shared parameters
    names = by_name(nodes)
    assert any(src == names["w"] for src, _ in edges) and any(src == names["b"] for src, _ in edges)


def test_fold_of_a_mean_and_of_fifty_points_stays_small() -> None:
    L, w, _ = three_points("mse")
    L.backward()
    labels = [a["label"] for a in parse(draw_graph(L, fold=True))[0].values()]
    assert "w (parameter)|data 1|grad -13.3333 (sum over 3 samples)" in labels  # -40 / 3
    L, w, _ = many_points(50)
    L.backward()
    nodes, _ = parse(draw_graph(L, fold=True))
    assert len(nodes) < 20
    assert f"w (parameter)|data 1|grad {w.grad:g} (sum over 50 samples)" in [
        a["label"] for a in nodes.values()
    ]


def test_fold_of_a_single_sample_is_the_plain_picture() -> None:
    L = worked_example()["L"]
    assert draw_graph(L, fold=True).source == draw_graph(L).source


# --- the walkthrough -------------------------------------------------------------------------------


def test_steps_come_in_a_valid_reverse_topological_order() -> None:
    L, _, _ = three_points()
    steps = backward_steps(L)
    data = {f"x{i}" for i in (1, 2, 3)} | {f"y{i}" for i in (1, 2, 3)}  # the data: no step of their own
    assert [s.node for s in steps] == [n for n in reversed(topological_order(L)) if n.label not in data]
    position = {id(s.node): k for k, s in enumerate(steps)}
    assert len(position) == len(steps) == 3 * 4 + 2 + 2  # per sample w*x, f, f-y, e; w, b; 2 sums
    for s in steps:  # independently: a node comes after every node computed from it
        for parent in s.node.parents:
            assert parent.label in data or position[id(parent)] > position[id(s.node)]
    assert steps[0].node is L and steps[0].grad == 1.0


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow}  # fmt: skip


def arithmetic(text: str) -> float:
    """Evaluate a caption's numbers, e.g. '-4 * 1 + (-8) * 2': numbers and + - * / ** only."""

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError(f"not plain arithmetic: {text!r}")

    return ev(ast.parse(text, mode="eval").body)


def check_captions(steps: list[BackwardStep]) -> None:
    for s in steps:
        assert s.grad == s.node.grad, s.caption  # the same sum, in the same order, as backward()
        parts = s.caption.split(" = ")
        assert_close(float(parts[-1].split()[0]), s.grad, rtol=1e-5, atol=1e-12, msg=s.caption)
        if s.contributions and len(parts) > 2:  # "dL/de = 1" has no product to show
            assert_close(arithmetic(parts[-2]), s.grad, rtol=1e-5, atol=1e-12, msg=s.caption)
            assert_close(sum(c.value for c in s.contributions), s.grad, rtol=1e-12, atol=1e-12)


def test_captions_write_the_chain_rule_with_numbers_that_agree_with_backward() -> None:
    n = worked_example()
    steps = backward_steps(n["L"])  # works before backward(); does not touch the graph
    assert all(node.grad == 0.0 for node in n.values())
    n["L"].backward()
    check_captions(steps)
    captions = {s.name: s.caption for s in steps}
    assert captions["L"].startswith("dL/dL = 1")
    assert captions["f - y"] == "dL/d(f - y) = dL/dL * dL/d(f - y) = 1 * 2*(-2) = -4"
    assert captions["y"] == "dL/dy = dL/d(f - y) * d(f - y)/dy = -4 * (-1) = 4"
    assert captions["f"] == "dL/df = dL/d(f - y) * d(f - y)/df = -4 * 1 = -4"
    assert captions["b"] == "dL/db = dL/df * df/db = -4 * 1 = -4"
    assert captions["w"] == "dL/dw = dL/d(w*x) * d(w*x)/dw = -4 * 1 = -4"


def test_a_shared_parameter_sums_the_contribution_of_each_use() -> None:
    L, w, b = three_points()
    steps = backward_steps(L)
    L.backward()
    check_captions(steps)
    (step_w,) = [s for s in steps if s.node is w]
    assert len(step_w.contributions) == 3 and step_w.grad == -40.0
    assert step_w.caption.endswith("= -8 * 3 + (-6) * 2 + (-4) * 1 = -40")  # 2(f_i - y_i) * x_i
    a = Value(3.0, label="a")
    sq = a * a  # one node, used twice by the same op
    sq.label = "L"
    sq.backward()
    (step_a,) = [s for s in backward_steps(sq) if s.node is a]
    assert step_a.caption == "dL/da = dL/dL * dL/da + dL/dL * dL/da = 1 * 3 + 1 * 3 = 6"
    assert a.grad == 6.0


def test_only_the_chosen_steps_are_written_out_with_every_gradient_still_exact() -> None:
    """backward_steps(only=...) skips the other captions (the lab's 1,400-node graphs) but not
    their gradients: the chosen steps are the full replay's, to the bit, loss and Tensor too."""
    L, w, b = three_points()
    L.backward()
    full = backward_steps(L)
    picked = [full[1].node, w, b]
    chosen = backward_steps(L, only=picked)
    assert [s.node for s in chosen] == [s.node for s in full if any(s.node is p for p in picked)]
    by_node = {id(s.node): s for s in full}
    for s in chosen:
        twin = by_node[id(s.node)]
        assert (s.index, s.name, s.caption, s.grad) == (twin.index, twin.name, twin.caption, twin.grad)
        assert s.grad == s.node.grad
    assert [s.node for s in backward_steps(L, only=[L])] == [L]
    assert backward_steps(L, only=[]) == []
    names = {id(node): f"node{k}" for k, node in enumerate(topological_order(L))}
    (step_w,) = backward_steps(L, only=[w], names=names)  # names given: used as they are
    assert step_w.name == names[id(w)] and step_w.grad == -40.0
    X = Tensor(np.array([[1.0], [2.0], [3.0]]))
    wt = Tensor(np.array([[1.0]]), requires_grad=True)
    Lt = ((X @ wt - Tensor(np.array([[3.0], [5.0], [7.0]]))) ** 2).sum()
    Lt.backward()
    (step_wt,) = backward_steps(Lt, only=[wt])
    assert step_wt.grad.tolist() == [[-40.0]] and step_wt.node is wt


def test_walkthrough_text_has_one_line_per_step() -> None:
    n = worked_example()
    lines = walkthrough_text(n["L"]).splitlines()
    assert len(lines) == 1 + 8
    assert (
        lines[1].startswith("1. dL/dL = 1") and lines[-1] == "8. dL/dw = dL/d(w*x) * d(w*x)/dw = -4 * 1 = -4"
    )


def test_frames_highlight_the_current_node_and_hide_unknown_gradients() -> None:
    n = worked_example()
    frames = walkthrough_frames(n["L"])
    steps = backward_steps(n["L"])
    assert len(frames) == len(steps) == 8
    for k, (frame, step) in enumerate(zip(frames, steps)):
        nodes, _ = parse(frame)
        boxes = {nid: a for nid, a in nodes.items() if a.get("class") != "op"}
        current = [a for a in boxes.values() if "current" in a["class"]]
        title = current[0]["label"].split("|")[0] if len(current) == 1 else ""
        assert title.split(" = ")[0].split(" (")[0] == step.name
        assert current[0]["label"].endswith(f"grad {step.grad:g}")
        assert sum(a["label"].endswith("grad ?") for a in boxes.values()) == 8 - (k + 1)
        assert step.caption in frame.source


def test_the_walkthrough_folder_and_its_self_contained_page(tmp_path) -> None:
    L, _, _ = three_points()
    folder = tmp_path / "walk"
    page = write_walkthrough(L, folder)
    assert page == folder / "index.html"
    svgs = sorted(folder.glob("step_*.svg"))
    steps = backward_steps(L)
    assert [p.name for p in svgs] == [f"step_{k:03d}.svg" for k in range(1, 17)]  # 22 nodes, 6 of them data
    for k in (0, 5, 15):
        assert steps[k].caption in html.unescape(svgs[k].read_text())
    page_text = page.read_text()
    assert page_text.count('<figure class="frame"') == 16 and page_text.count("<svg") == 16
    assert "x1 (data)" in page_text and "none (no step)" in page_text and "dL/dx1" not in page_text
    assert not re.search(r"https?://", page_text)  # no URL at all, not even SVG namespaces
    assert not re.search(r"\b(src|href)\s*=", page_text, re.I)
    assert "<link" not in page_text and "@import" not in page_text and "url(" not in page_text
    assert (folder / "walkthrough.txt").read_text() == walkthrough_text(L) + "\n"
    assert not [p for p in folder.iterdir() if p.suffix == ".tmp" or p.name.startswith(".")]
    write_walkthrough(worked_example()["L"], folder)  # a shorter walkthrough replaces the frames
    assert len(list(folder.glob("step_*.svg"))) == 8


def test_walkthrough_of_a_large_graph_refuses() -> None:
    L, _, _ = many_points(20)
    with pytest.raises(GraphTooLargeError, match="walkthrough"):
        walkthrough_frames(L)


# --- Tensor graphs ---------------------------------------------------------------------------------


def test_tensor_graph_shows_shapes_and_the_broadcast_and_reduction_of_b() -> None:

    from tinygrad_lr import tensor
    from tinygrad_lr.losses import sse

    w = tensor.Tensor(1.0, requires_grad=True, name="w")
    b = tensor.Tensor(0.0, requires_grad=True, name="b")
    f = w * tensor.Tensor([1.0, 2.0, 3.0], name="x") + b
    f.label = "f"
    L = sse(f, tensor.Tensor([3.0, 5.0, 7.0], name="y"))
    L.label = "L"
    before = draw_graph(L).source
    assert "not computed yet" in before
    L.backward()
    dot = draw_graph(L)
    nodes, edges = parse(dot)
    labels = {a["label"].split("|")[0]: a["label"] for a in nodes.values() if a.get("class") != "op"}
    assert labels["b (parameter), shape ()"] == "b (parameter), shape ()|data 0|grad -18"
    assert labels["w (parameter), shape ()"] == "w (parameter), shape ()|data 1|grad -40"
    assert labels["x (data), shape (3,)"].endswith("grad none")  # data: requires_grad=False
    assert labels["f = w*x + b, shape (3,)"] == "f = w*x + b, shape (3,)|data [1, 2, 3]|grad [-4, -6, -8]"
    # the broadcast of b is a step of its own, and the copy's gradient is summed back into b
    assert labels["b copied, shape (3,)"] == "b copied, shape (3,)|data [0, 0, 0]|grad [-4, -6, -8]"
    w_copy = labels["w copied, shape (3,)"]
    assert w_copy == "w copied, shape (3,)|data [1, 1, 1]|grad [-4, -12, -24]"  # x * dL/df
    assert sum("broadcast" in a.get("class", "") for a in nodes.values()) == 2
    assert dot.source.count("backward: sum over axis 0") == 2
    steps = backward_steps(L)
    for s in steps:
        if s.grad is None:
            assert s.node.grad is None and "requires_grad=False" in s.caption
        else:
            assert_close(s.grad, s.node.grad, rtol=1e-12, atol=0.0)
    (step_b,) = [s for s in steps if s.node is b]
    assert step_b.caption == "dL/db = dL/df * df/db = sum over axis 0 of [-4, -6, -8] = -18"
    assert [s.node for s in steps] == list(reversed(topological_order(L)))
    frames = walkthrough_frames(L)
    assert len(frames) == len(steps) == 9
    last = parse(frames[-1])[0]
    (current,) = [a for a in last.values() if "current" in a.get("class", "")]
    assert current["label"] == "w (parameter), shape ()|data 1|grad -40"
    assert "<svg" in draw_graph(L).pipe(format="svg", encoding="utf-8")


# --- the command line ------------------------------------------------------------------------------


def test_cli_graph_defaults_to_the_worked_example(tmp_path, capsys) -> None:
    out = tmp_path / "g.svg"
    assert main(["graph", "-o", str(out), "--text"]) == 0
    printed = capsys.readouterr().out
    assert "8. dL/dw = dL/d(w*x) * d(w*x)/dw = -4 * 1 = -4" in printed
    assert "dL/dw = -4, dL/db = -4" in printed
    svg = html.unescape(out.read_text())
    assert "grad -4" in svg and "data -2" in svg


def test_cli_graph_several_points_fold_tensor_and_walkthrough(tmp_path, capsys) -> None:
    args = ["graph", "--x", "1", "2", "3", "--y", "3", "5", "7"]
    assert main([*args, "--fold", "-o", str(tmp_path / "f.dot")]) == 0
    assert "sum over 3 samples" in (tmp_path / "f.dot").read_text()
    assert "dL/dw = -40, dL/db = -18" in capsys.readouterr().out
    assert (
        main([*args, "--loss", "mse", "--engine", "tensor", "--rankdir", "TB", "-o", str(tmp_path / "t.dot")])
        == 0
    )
    source = (tmp_path / "t.dot").read_text()
    assert "rankdir=TB" in source and "broadcast" in source and "grad -6" in source  # -18 / 3
    assert main(["graph", "-o", str(tmp_path / "g.dot"), "--walkthrough", str(tmp_path / "w")]) == 0
    assert len(list((tmp_path / "w").glob("step_*.svg"))) == 8 and (tmp_path / "w" / "index.html").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--x", "1", "2", "--y", "3"], "--x has 2 values but --y has 1"),
        (["-o", "graph.jpeg"], "use a file name ending in .svg"),
        (["--max-nodes", "0"], "--max-nodes must be at least 1"),
        (["--x", "1", "2", "3", "--y", "3", "5", "7", "--max-nodes", "20"], "fold the per-sample subgraphs"),
    ],
)
def test_cli_graph_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []


# --- the page in a real browser ----------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else shutil.which("chromedriver")
)


def test_the_page_steps_through_the_frames_in_a_headless_browser(tmp_path) -> None:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(
            "no Chromium and chromedriver here (Debian: sudo apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver  # a dev dependency: its absence is a set-up error, not a skip
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page = write_walkthrough(worked_example()["L"], tmp_path / "walk")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"):  # fmt: skip
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            driver.get(page.as_uri())

            def shown() -> list[str]:
                return [f.get_attribute("id") for f in driver.find_elements(By.CSS_SELECTOR, "figure.frame")
                        if f.is_displayed()]  # fmt: skip

            def caption() -> str:
                return driver.find_element(By.ID, "caption").text

            assert shown() == ["frame-1"] and caption().startswith("dL/dL = 1")
            assert driver.find_element(By.ID, "counter").text == "step 1 of 8"
            driver.find_element(By.ID, "next").click()
            assert shown() == ["frame-2"]
            assert caption() == "dL/d(f - y) = dL/dL * dL/d(f - y) = 1 * 2*(-2) = -4"
            body = driver.find_element(By.TAG_NAME, "body")
            body.send_keys(Keys.ARROW_RIGHT)
            body.send_keys(Keys.ARROW_RIGHT)
            assert shown() == ["frame-4"] and driver.find_element(By.ID, "counter").text == "step 4 of 8"
            body.send_keys(Keys.ARROW_LEFT)
            assert shown() == ["frame-3"]
            driver.find_element(By.ID, "prev").click()
            assert shown() == ["frame-2"]
            body.send_keys(Keys.END)
            assert shown() == ["frame-8"] and caption() == "dL/dw = dL/d(w*x) * d(w*x)/dw = -4 * 1 = -4"
            assert driver.find_element(By.ID, "next").get_attribute("disabled") is not None
            highlighted = driver.find_elements(By.CSS_SELECTOR, "#frame-8 g.node.current text")
            assert highlighted and highlighted[0].text == "w (parameter)"
        finally:
            driver.quit()


@contextlib.contextmanager
def browser(width: int, height: int):
    """Headless Chromium at a window of ``width`` x ``height`` CSS pixels."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(
            "no Chromium and chromedriver here (Debian: sudo apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--force-device-scale-factor=1",
                 f"--window-size={width},{height}"):  # fmt: skip
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            )
            yield driver
        finally:
            driver.quit()


# every node of the visible frame: its DOT name -> its box on the screen, and the smallest text
_MEASURE = """
var frame = document.querySelector("figure.frame:not([hidden])");
var svg = frame.querySelector("svg");
var scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
var boxes = {}, smallest = 1e9;
frame.querySelectorAll("g.node").forEach(function (g) {
  var r = g.querySelector("polygon, path, ellipse").getBoundingClientRect();
  boxes[g.querySelector("title").textContent] = [r.left, r.top, r.width, r.height].map(function (v) {
    return Math.round(v * 10) / 10; });
  g.querySelectorAll("text").forEach(function (t) {
    smallest = Math.min(smallest, parseFloat(t.getAttribute("font-size")) * scale);
  });
});
return [frame.id, boxes, smallest];
"""


def test_walkthrough_frames_hold_still_and_read_at_11px(tmp_path) -> None:
    """The three-point example at 1366x768: no node moves or resizes from the first step to the
    last, and every node's text is at least 11 CSS px; at 420 px wide the page does not overflow,
    the step list stays aligned and the picture can be panned."""
    assert main(["graph", "--x", "1", "2", "3", "--y", "3", "5", "7", "-o", str(tmp_path / "g.svg"),
                 "--walkthrough", str(tmp_path / "walk")]) == 0  # fmt: skip
    page = (tmp_path / "walk" / "index.html").as_uri()
    L = three_points()[0]
    order = topological_order(L)
    drawn = len(order) + sum(1 for node in order if node._prev)  # a box per value, an ellipse per op
    captions = [s.caption for s in backward_steps(L)]
    with browser(1366, 768) as driver:
        driver.get(page)
        first = None
        for k in range(1, 17):  # 16 steps: the data x1 ... y3 take none
            frame_id, boxes, smallest = driver.execute_script(_MEASURE)
            assert frame_id == f"frame-{k}"
            assert len(boxes) == drawn and smallest >= 11, (k, smallest)
            if first is None:
                first = boxes
            assert boxes == first, f"step {k}: nodes moved or changed size"
            assert driver.find_element("id", "caption").text == captions[k - 1]
            driver.find_element("id", "next").click()
        texts = driver.find_element("tag name", "body").text
        # the sum's step in chain-rule form, once: in the list (the caption shows step 16 now)
        assert texts.count("dL/dL3 = dL/dL * dL/dL3 = 1 * 1 = 1") == 1
    with browser(420, 900) as driver:
        driver.get(page)
        _, _, smallest = driver.execute_script(_MEASURE)
        assert smallest >= 11
        overflow, lefts, pannable = driver.execute_script(
            "var v = document.getElementById('view');"
            "return [document.documentElement.scrollWidth - window.innerWidth,"
            " Array.prototype.map.call(document.querySelectorAll('ol button'),"
            "   function (b) { return Math.round(b.getBoundingClientRect().left); }),"
            " v.scrollWidth > v.clientWidth];"
        )
        assert overflow <= 0 and len(set(lefts)) == 1 and pannable


def _svg_geometry(svg: str) -> tuple[dict, list]:
    """Node boxes (name -> x0, y0, x1, y1) and edges (tail, head, points of the path) of an SVG."""
    nodes, edges = {}, []
    group = r'<g id="(?:node|edge)\d+" class="(node|edge)[^"]*">\s*<title>(.*?)</title>(.*?)</g>'
    pair = r"-?[\d.]+,-?[\d.]+"
    ellipse = r'cx="([-\d.]+)" cy="([-\d.]+)" rx="([-\d.]+)" ry="([-\d.]+)"'
    groups = re.findall(group, svg, re.S)
    for kind, title, body in groups:
        title = html.unescape(title)
        pairs = [tuple(map(float, p.split(","))) for p in re.findall(pair, body)]
        if kind == "node":
            for cx, cy, rx, ry in re.findall(ellipse, body):
                c, r = (float(cx), float(cy)), (float(rx), float(ry))
                pairs += [(c[0] - r[0], c[1] - r[1]), (c[0] + r[0], c[1] + r[1])]
            xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
            nodes[title] = (min(xs), min(ys), max(xs), max(ys))
        else:
            tail, head = title.split("->")
            d = re.search(r'<path[^>]* d="([^"]+)"', body).group(1)
            edges.append((tail, head, [tuple(map(float, p.split(","))) for p in re.findall(pair, d)]))
    return nodes, edges


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_every_edge_of_a_fixed_layout_frame_joins_its_own_two_nodes(engine) -> None:
    from tinygrad_lr.viz.render import run_graphviz

    if engine == "value":
        L = three_points()[0]
    else:
        from tinygrad_lr import LinearRegression, mse

        L = mse(LinearRegression(w=1.0, b=0.0, engine="tensor")([[1.0], [2.0], [3.0]]), [3.0, 5.0, 7.0])
    L.backward()
    frames = walkthrough_frames(L, captions=False)
    near = 4.0  # points: a path starts at its tail's border and ends (before the arrowhead) near its head
    for frame in (frames[0], frames[-1]):
        nodes, edges = _svg_geometry(run_graphviz(frame, "svg", "test").decode())
        assert edges
        for tail, head, points in edges:
            for (x, y), name, slack in ((points[0], tail, near), (points[-1], head, 4 * near)):
                x0, y0, x1, y1 = nodes[name]
                assert x0 - slack <= x <= x1 + slack and y0 - slack <= y <= y1 + slack, (tail, head, name)


@pytest.mark.parametrize("n", [3, 5, 8])
def test_rows_of_a_loss_over_samples_read_in_sample_order_top_to_bottom(n) -> None:
    from tinygrad_lr import LinearRegression
    from tinygrad_lr.losses import sse
    from tinygrad_lr.viz.render import run_graphviz

    xs = [float(i) for i in range(1, n + 1)]
    L = sse(LinearRegression(w=1.0, b=0.0)(xs), [2 * x + 1 for x in xs])
    L.backward()
    svg = html.unescape(run_graphviz(draw_graph(L), "svg", "test").decode())
    heights = []  # SVG y grows downwards: sample 1's target must have the smallest y
    for i in range(1, n + 1):
        at = svg.index(f">y{i} (data)<")
        heights.append(float(re.findall(r'y="([-\d.]+)"', svg[at - 200 : at])[-1]))
    assert heights == sorted(heights)


@pytest.mark.parametrize("bad", [3, "loss", [1.0, 2.0], None])
def test_pictures_refuse_what_is_not_a_graph(bad, tmp_path) -> None:
    from tinygrad_lr import viz
    from tinygrad_lr.errors import InputError

    for draw in (viz.draw_graph, viz.walkthrough_text, viz.backward_steps,
                 lambda r: viz.write_walkthrough(r, tmp_path / "walk")):
        with pytest.raises(InputError, match="root must be a Value or a Tensor"):
            draw(bad)
    assert not (tmp_path / "walk").exists()


def test_the_walkthrough_page_passes_an_accessibility_check(tmp_path) -> None:
    """axe-core finds no serious or critical violation on the walkthrough page, at every step."""
    from a11y import axe_violations
    from browser import chromium
    from selenium.webdriver.common.by import By

    page = write_walkthrough(worked_example()["L"], tmp_path / "walk")
    with chromium(1366, 768) as driver:
        driver.get(page.as_uri())
        for _ in range(3):
            assert axe_violations(driver) == []
            driver.find_element(By.ID, "next").click()
        reached = set()
        for _ in range(30):
            driver.switch_to.active_element.send_keys("\t")
            reached.add(driver.switch_to.active_element.get_attribute("id"))
        assert {"prev", "next", "zoom-out", "zoom-fit", "zoom-in", "view"} <= reached, reached


def test_a_steps_highlight_is_told_by_line_style_not_colour_alone() -> None:
    """The node a step completes has a thicker border than any other; the edges and operation its
    gradient is read through are dashed and thicker, so they stand out in grey-scale too."""
    from figures import graph_elements

    from tinygrad_lr.viz.render import run_graphviz

    L = worked_example()["L"]
    frames = walkthrough_frames(L)
    svg = run_graphviz(frames[4], "svg", "a frame").decode("utf-8")
    elements = graph_elements(svg)
    widths = {key: max(float(look[2] or 1) for look in v[1]) for key, v in elements.items() if v[1]}
    dashed = {key for key, v in elements.items() if any(look[3] for look in v[1] if look[0] == "path")}
    hot = {key for key, v in elements.items() if any(look[1] == "#d50000" for look in v[1])}
    hot_edges = {k for k in hot if k.startswith("edge ")}
    assert hot_edges and all(k in dashed and widths[k] >= 2.5 for k in hot_edges), (hot_edges, dashed)
    assert not any(widths[k] > 1 for k in elements if k.startswith("edge ") and k not in hot_edges)
    current = [k for k in hot if k.startswith("node ") and widths[k] >= 3]
    assert len(current) == 1 and all(w < 3 for k, w in widths.items() if k != current[0])


def test_data_are_data_everywhere_named_as_the_replay_names_them_with_no_step_of_their_own(tmp_path) -> None:
    """The three points given as plain numbers (``w * x + b for x in [1.0, 2.0, 3.0]``, as the
    Jupyter notebook writes them), through the model, or labelled by hand (the demo): every picture
    and text names the inputs x1, x2, x3 and the targets y1, y2, y3, draws them as data, and the
    walkthrough takes no chain-rule step for them or for a plain number (no ``dL/d3``)."""
    from tinygrad_lr import LinearRegression, sse

    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    plain = sse([w * x + b for x in [1.0, 2.0, 3.0]], [3.0, 5.0, 7.0])
    model = LinearRegression(w=1.0, b=0.0)
    through_model = sse(model([1.0, 2.0, 3.0]), [3.0, 5.0, 7.0])
    by_hand = three_points()[0]
    for L in (plain, through_model, by_hand):
        L.backward()
        text = walkthrough_text(L)
        assert text.splitlines()[0].endswith("16 steps, from the loss back to the leaves")
        assert not re.search(r"d\w*/d(x|y)\d\b", text) and not re.search(r"/d\d", text), text
        assert "dL/d(w*x1) = dL/df1 * df1/d(w*x1) = -4 * 1 = -4" in text
        nodes, _ = parse(draw_graph(L))
        labels = [a["label"] for a in nodes.values()]
        for i, (x, y) in enumerate([(1, 3), (2, 5), (3, 7)], 1):
            (xbox,) = [a for a in nodes.values() if a["label"].startswith(f"x{i} (data)|")]
            (ybox,) = [a for a in nodes.values() if a["label"].startswith(f"y{i} (data)|")]
            assert xbox["label"].split("|")[1] == f"data {x}" and xbox["class"] == "data"
            assert ybox["label"].split("|")[1] == f"data {y}" and ybox["class"] == "data"
        assert not any(lab.split("|")[0] in {"1", "2", "3", "5", "7"} for lab in labels)
        folded = draw_graph(L, fold=True).source
        assert "x_i (data)" in folded and "y_i (data)" in folded and "c_i" not in folded
    frames = walkthrough_frames(plain)
    assert len(frames) == 16
    last, _ = parse(frames[-1])
    (x1,) = [a for a in last.values() if a["label"].startswith("x1 (data)|")]
    assert x1["label"].endswith("grad none (no step)")  # never "grad ?": no step will reach it
    # a number the same in every sample stays a number; a one-sample graph keeps its x's step
    twice = sse([2.0 * w * x for x in [1.0, 2.0]], [2.0, 4.0])
    twice.backward()
    names = [a["label"].split("|")[0] for a in parse(draw_graph(twice))[0].values()]
    assert "2" in names and "x1 (data)" in names and "x2 (data)" in names
    x = Value(3.0, label="x")
    assert walkthrough_text(x**2).splitlines()[-1] == "2. dL/dx = dL/dL * dL/dx = 1 * 2*3 = 6"
