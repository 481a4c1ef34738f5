"""The live lab's arithmetic and state, without a server: every number against the worked example,
the optimizers built directly, fit() itself, or closed forms; and the lab's refusals."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest

from tinygrad_lr import SGD, Adam, LinearRegression, Momentum, Value, fit, max_stable_lr, mse, sse
from tinygrad_lr.compare import assert_close
from tinygrad_lr.lab import code, engine, menu
from tinygrad_lr.lab.session import MAX_STEPS_PER_ACTION, Session, first_state
from tinygrad_lr.lab.state import MAX_POINTS, MAX_UPDATES, LabInputError, Settings
from tinygrad_lr.optim import OPTIMIZERS

TOL = 1e-12  # the lab and a direct computation run the same float64 operations; only sums may reorder


def close(a: float, b: float, tol: float = TOL) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def worked() -> Session:
    s = Session(first_state())
    s.show()
    return s


# --- the worked example, by hand: SSE of (1,3), (2,5), (3,7) at w = 1, b = 0 ---------------------


def test_first_view_is_the_worked_example():
    v = worked().apply({"op": "view"})
    assert v["params"] == {"w": 1.0, "b": 0.0}
    assert v["loss"] == 29.0  # (1-3)^2 + (2-5)^2 + (3-7)^2 = 4 + 9 + 16
    assert v["grad"] == {"w": -40.0, "b": -18.0}  # 2 * sum (f - y) x = 2 (-2 - 6 - 12); 2 * (-2 - 3 - 4)
    assert v["settings"]["lr"] == 0.01 and v["settings"]["loss"] == "sse"
    assert_close(v["step_preview"]["w"], 1.4, rtol=0.0, atol=1e-15)  # 1 - 0.01 * (-40)
    assert_close(v["step_preview"]["b"], 0.18, rtol=0.0, atol=1e-15)
    assert v["data"]["f"] == [1.0, 2.0, 3.0] and v["data"]["r"] == [-2.0, -3.0, -4.0]


def test_first_step_of_the_worked_example():
    v = worked().apply({"op": "step"})
    assert_close(v["params"]["w"], 1.4, rtol=0.0, atol=1e-15)
    assert_close(v["params"]["b"], 0.18, rtol=0.0, atol=1e-15)
    # (1.58 - 3)^2 + (2.98 - 5)^2 + (4.38 - 7)^2 = 2.0164 + 4.0804 + 6.8644
    assert_close(v["loss"], 12.9612, rtol=0.0, atol=1e-12)
    assert v["update"] == 1 and len(v["path"]) == 2


def test_graph_nodes_carry_the_engine_numbers_and_chain_rule():
    v = worked().apply({"op": "view"})
    nodes = v["graph"]["nodes"]
    by_name = {n["name"]: n for n in nodes.values()}
    assert by_name["w"]["grad"] == -40.0 and by_name["b"]["grad"] == -18.0
    assert by_name["L1"]["data"] == 4.0 and by_name["f3"]["data"] == 3.0
    step = by_name["w"]["step"]
    assert step["grad"] == -40.0
    assert sorted(t["value"] for t in step["terms"]) == [-24.0, -12.0, -4.0]  # dL/d(w x_i) * x_i
    assert step["caption"].startswith("dL/dw = ") and step["caption"].endswith("= -40")
    assert "svg" in v["graph"] and v["graph"]["svg"].startswith("<svg")


def test_stable_limit_is_two_over_lambda_max():
    v = worked().apply({"op": "view"})
    H = np.array([[28.0, 12.0], [12.0, 6.0]])  # 2 A^T A for A = [[1, 1], [2, 1], [3, 1]]
    assert close(v["stable"]["gd"], 2.0 / np.linalg.eigvalsh(H).max())
    assert close(v["stable"]["sgd"], 1.0 / 10.0)  # 1 / max |[x, 1]|^2 = 1 / (9 + 1)


# --- every optimizer and batching against the optimizer built directly --------------------------


def direct_run(rule, steps, *, engine_name="value", batches=None, lr=0.01, loss=sse, **options):
    """A long-lived optimizer, built by hand, stepping on the worked example's points."""
    m = LinearRegression(w=1.0, b=0.0, engine=engine_name)
    opt = rule(m.parameters(), lr=lr, **options)
    x, y = np.array([1.0, 2.0, 3.0]), np.array([3.0, 5.0, 7.0])
    out = []
    for k in range(steps):
        rows = batches[k] if batches is not None else [0, 1, 2]
        opt.zero_grad()
        loss(m(x[rows]), y[rows]).backward()
        opt.step()
        out.append(m.param_vector())
    return out


@pytest.mark.parametrize("engine_name", ["value", "tensor"])
@pytest.mark.parametrize(
    ("key", "rule", "options"),
    [("adam", Adam, {}), ("momentum", Momentum, {"momentum": 0.9}), ("gd", SGD, {})],
)
def test_lab_steps_equal_a_long_lived_optimizer(engine_name, key, rule, options):
    s = Session(first_state())
    s.apply({"op": "settings", "changes": {"engine": engine_name, "optimizer": key, "lr": 0.01}})
    batches = None
    if key == "gd":  # as SGD: one sample per update, in order
        s.apply({"op": "settings", "changes": {"batching": "sgd"}})
        batches = [[k % 3] for k in range(7)]
    want = direct_run(rule, 7, engine_name=engine_name, batches=batches, **options)
    for k in range(7):
        v = s.apply({"op": "step"})
        assert close(v["params"]["w"], want[k][0]) and close(v["params"]["b"], want[k][1])


def test_shuffled_sgd_draws_the_order_fit_draws():
    s = Session(first_state())
    s.apply({"op": "settings", "changes": {"batching": "sgd", "order": "shuffled", "seed": 7}})
    for _ in range(9):
        v = s.apply({"op": "step"})
    m = LinearRegression(w=1.0, b=0.0)
    fit(
        m,
        ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0]),
        SGD(m.parameters(), 0.01, shuffle=True),
        loss="sse",
        epochs=3,
        rng=7,
    )
    assert close(v["params"]["w"], m.weights[0]) and close(v["params"]["b"], m.intercept)


def test_engine_switch_keeps_the_run_and_adam_memory():
    s = Session(first_state())
    s.apply({"op": "settings", "changes": {"optimizer": "adam", "lr": 0.1}})
    for _ in range(3):
        s.apply({"op": "step"})
    s.apply({"op": "settings", "changes": {"engine": "tensor"}})
    for _ in range(3):
        v = s.apply({"op": "step"})
    want = direct_run(Adam, 6, lr=0.1)
    assert close(v["params"]["w"], want[-1][0]) and close(v["params"]["b"], want[-1][1])
    assert len(v["path"]) == 7


def test_mse_and_minibatch():
    s = Session(first_state())
    s.apply(
        {"op": "settings", "changes": {"loss": "mse", "batching": "minibatch", "batch_size": 2, "lr": 0.05}}
    )
    v = s.apply({"op": "step"})
    want = direct_run(SGD, 1, batches=[[0, 1]], lr=0.05, loss=mse)
    assert close(v["params"]["w"], want[0][0]) and close(v["params"]["b"], want[0][1])
    assert v["batch"] == [2]  # the next batch: the short last one
    assert close(
        v["loss"], ((v["params"]["w"] * np.array([1, 2, 3]) + v["params"]["b"] - [3, 5, 7]) ** 2).mean()
    )


def test_the_menu_is_every_optimizer_of_the_registry():
    keys = set(menu.RULES)
    for key in OPTIMIZERS:
        assert key in keys or key in ("sgd", "minibatch")  # the plain rule with another batching
    assert {o.name for o in menu.RULES["adam"].options} >= {"betas", "eps", "weight_decay", "amsgrad"}
    assert menu.RULES["adam"].default_lr == 0.001


def test_newton_reaches_least_squares_in_one_step():
    s = Session(first_state())
    s.apply({"op": "settings", "changes": {"optimizer": "newton"}})
    v = s.apply({"op": "step"})
    assert close(v["params"]["w"], 2.0, 1e-10) and close(v["params"]["b"], 1.0, 1e-10)


# --- the state in a link -------------------------------------------------------------------------


def test_a_link_gives_back_the_same_situation_to_the_bit():
    s = Session(first_state())
    s.apply(
        {
            "op": "settings",
            "changes": {"optimizer": "adam", "batching": "sgd", "order": "shuffled", "seed": 3},
        }
    )
    for _ in range(5):
        s.apply({"op": "step"})
    again = code.decode(code.encode(s.state))
    assert again == s.state
    assert engine.step(again) == engine.step(s.state)  # the memory and the generator came along


@pytest.mark.parametrize("bad", ["", "not a state", "A" * 10, "eJw=", 12, None])
def test_a_damaged_link_is_refused(bad):
    with pytest.raises(LabInputError):
        code.decode(bad)


def test_a_link_that_unpacks_to_gigabytes_is_refused_without_unpacking_it():
    import base64
    import zlib

    bomb = base64.urlsafe_b64encode(zlib.compress(b"[" * 50_000_000, 9)).decode()
    with pytest.raises(LabInputError, match="more than"):
        code.decode(bomb)


def test_a_link_with_nan_is_refused():
    import base64
    import json
    import zlib

    doc = json.loads(zlib.decompress(base64.urlsafe_b64decode(code.encode(first_state()) + "==")))
    doc["x"][0] = float("nan")
    text = base64.urlsafe_b64encode(zlib.compress(json.dumps(doc).encode())).decode()
    with pytest.raises(LabInputError, match="finite"):
        code.decode(text)


# --- refusals: nothing changes -------------------------------------------------------------------

HOSTILE = [
    {"op": "set_params", "w": float("nan"), "b": 0.0},
    {"op": "set_params", "w": float("inf"), "b": 0.0},
    {"op": "set_params", "w": 1.0, "b": -float("inf")},
    {"op": "set_params", "w": "1", "b": 0.0},
    {"op": "set_params", "w": True, "b": 0.0},
    {"op": "set_params", "w": 1e300, "b": 0.0},
    {"op": "set_params"},
    {"op": "move_point", "i": 0, "x": float("nan"), "y": 1.0},
    {"op": "move_point", "i": 7, "x": 1.0, "y": 1.0},
    {"op": "move_point", "i": -1, "x": 1.0, "y": 1.0},
    {"op": "move_point", "i": 0.5, "x": 1.0, "y": 1.0},
    {"op": "add_point", "x": 1.0, "y": float("inf")},
    {"op": "add_point", "x": [1], "y": 2},
    {"op": "set_data", "x": [], "y": []},
    {"op": "set_data", "x": [1.0], "y": [1.0, 2.0]},
    {"op": "set_data", "x": "1,2", "y": "3,4"},
    {"op": "set_data", "x": [0.0] * (MAX_POINTS + 1), "y": [0.0] * (MAX_POINTS + 1)},
    {"op": "set_data", "x": [1e13], "y": [1.0]},
    {"op": "settings", "changes": {"lr": float("nan")}},
    {"op": "settings", "changes": {"lr": float("inf")}},
    {"op": "settings", "changes": {"lr": 0.0}},
    {"op": "settings", "changes": {"lr": -0.1}},
    {"op": "settings", "changes": {"lr": "0.1"}},
    {"op": "settings", "changes": {"optimizer": "lbfgs"}},
    {"op": "settings", "changes": {"optimizer": "adam", "options": {"betas": [0.9, float("nan")]}}},
    {"op": "settings", "changes": {"optimizer": "adam", "options": {"betas": [1.5, 0.9]}}},
    {"op": "settings", "changes": {"optimizer": "adam", "options": {"momentum": 0.9}}},
    {"op": "settings", "changes": {"optimizer": "momentum", "options": {"momentum": -1.0}}},
    {"op": "settings", "changes": {"batching": "minibatch", "batch_size": 0}},
    {"op": "settings", "changes": {"batching": "minibatch", "batch_size": 2.5}},
    {"op": "settings", "changes": {"batching": "everything"}},
    {"op": "settings", "changes": {"seed": -1}},
    {"op": "settings", "changes": {"engine": "numpy"}},
    {"op": "settings", "changes": {"loss": "mae"}},
    {"op": "settings", "changes": {"colour": "red"}},
    {"op": "settings", "changes": {}},
    {"op": "step", "count": 0},
    {"op": "step", "count": MAX_STEPS_PER_ACTION + 1},
    {"op": "step", "count": float("nan")},
    {"op": "load", "code": "%%%"},
    {"op": "csv", "name": "d.csv", "text": None},
    {"op": "csv", "name": "d.csv", "text": ""},
    {"op": "csv", "name": "d.csv", "text": "x,y\n1,nan\n"},
    {"op": "csv", "name": "d.csv", "text": "x,y\n" + "1,2\n" * (MAX_POINTS + 1)},
    {"op": "csv", "name": "d.csv", "text": "1,2\n" * 300_000},
    {"op": "explode"},
    ["step"],
    "step",
    None,
]


@pytest.mark.parametrize("action", HOSTILE, ids=[str(a)[:60] for a in HOSTILE])
def test_hostile_actions_are_refused_and_change_nothing(action):
    s = worked()
    s.apply({"op": "step"})
    before, undo = s.state, list(s.undo)
    with pytest.raises(LabInputError) as info:
        s.apply(action)
    assert str(info.value) and "Traceback" not in str(info.value)
    assert s.state is before and s.undo == undo


def test_a_csv_error_names_the_learners_file_line_and_column():
    s = worked()
    with pytest.raises(LabInputError, match=r"^points\.csv, line 3, column 2 \(y\): 'abc' is not a number$"):
        s.apply({"op": "csv", "name": "../secret/points.csv", "text": "x,y\n1,2\n3,abc\n"})


def test_a_csv_loads_its_columns_and_names():
    s = worked()
    v = s.apply(
        {"op": "csv", "name": "h.csv", "text": "a,size,price\n1,2,3\n4,5,6\n", "x": "size", "y": "price"}
    )
    assert v["data"]["x"] == [2.0, 5.0] and v["data"]["y"] == [3.0, 6.0] and v["names"] == ["size", "price"]


def test_one_point_works_and_the_last_point_cannot_be_removed():
    s = worked()
    s.apply({"op": "set_data", "x": [2.0], "y": [1.0]})
    v = s.apply({"op": "step"})
    assert_close(v["params"]["w"], 1.0 - 0.01 * 2 * (2.0 - 1.0) * 2.0, rtol=1e-6, atol=1e-12)
    with pytest.raises(LabInputError, match="at least one"):
        s.apply({"op": "remove_point", "i": 0})


def test_huge_data_gives_clear_numbers_not_overflow():
    s = worked()
    v = s.apply({"op": "set_data", "x": [1e12, -1e12], "y": [1e12, 1e12]})
    assert math.isfinite(v["loss"]) and math.isfinite(v["stable"]["gd"])
    v = s.apply({"op": "step"})  # lr 0.01 is far above 2 / lambda_max here
    assert v["error"] == "" or "diverged" in v["error"]


# --- divergence: the CLI's words, and the lab keeps working --------------------------------------


def test_divergence_is_reported_as_fit_reports_it_and_the_lab_goes_on():
    s = worked()
    s.apply({"op": "settings", "changes": {"lr": 0.07}})  # above 2 / lambda_max = 0.0601
    v = None
    for _ in range(10):
        v = s.apply({"op": "step"})
        if v["warning"]:
            break
    assert v is not None
    assert v["warning"].startswith("training diverged at update ")
    assert "with learning rate 0.07: the loss grew for 5 updates in a row" in v["warning"]
    assert v["warning"].startswith(f"training diverged at update {v['update']} (epoch {v['update']})")
    assert "gradient descent is stable only for lr < 0.0600983" in v["warning"]
    v = s.apply({"op": "settings", "changes": {"lr": 0.01}})
    assert v["warning"] == "" and v["error"] == ""


@pytest.mark.parametrize("optimizer, options, lr", [("gd", {}, 0.07), ("momentum", {"momentum": 0.9}, 0.2)])
def test_a_divergence_gives_the_hint_fit_gives_for_the_same_optimizer(optimizer, options, lr):
    """The lab's sentence about the stable learning rates is fit's, word for word, for the same
    data, loss and optimizer (momentum's bound is 2 (1 + mu) / lambda_max, not GD's)."""
    from tinygrad_lr import GD, DivergenceError, LinearRegression, Momentum, fit

    s = worked()
    s.apply({"op": "settings", "changes": {"optimizer": optimizer, "options": options, "lr": lr}})
    said = ""
    for _ in range(60):
        v = s.apply({"op": "step"})
        said = v["warning"] or v["error"]
        if said:
            break
    model = LinearRegression(w=1.0, b=0.0)
    opt = GD(model.parameters(), lr) if optimizer == "gd" else Momentum(model.parameters(), lr, momentum=0.9)
    with pytest.raises(DivergenceError) as err:
        fit(model, ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0]), opt, loss="sse", epochs=500, progress=False)
    hint = str(err.value).split("; try a smaller learning rate (", 1)[1]
    assert said.startswith("training diverged at update ")
    assert said.endswith("; try a smaller learning rate (" + hint)
    lam_max = 17 + math.sqrt(265)  # of 2 A^T A = [[28, 12], [12, 6]] (A = [x, 1]): 17 +- sqrt(265)
    bound = 2 / lam_max if optimizer == "gd" else 2 * 1.9 / lam_max
    assert f"lr < {bound:.6g}" in hint


def test_a_step_to_infinity_is_not_taken():
    s = worked()
    s.apply({"op": "settings", "changes": {"lr": 1e11}})
    before = s.state
    v = s.apply({"op": "step"})
    # w would be 1 + 4e12, b 1.8e12 and the loss ~1e26: finite, so the step is taken ...
    assert v["error"] == ""
    for _ in range(20):
        v = s.apply({"op": "step"})
        if v["error"]:
            break
    # ... until the loss overflows: that step is refused with fit's words, and the state stays
    assert v["error"].startswith("training diverged at update ")
    assert (
        "the numbers overflowed" in v["error"] or "became inf" in v["error"] or "inf or nan" in v["error"]
    )
    assert all(math.isfinite(c) for p in v["path"] for c in p)
    assert s.state is not before
    assert s.apply({"op": "undo"})["update"] == v["update"] - 1


def test_the_run_stops_at_max_updates():
    s = worked()
    s.state = replace(s.state, position=replace(s.state.position, update=MAX_UPDATES))
    v = s.apply({"op": "step"})
    assert "the most the lab keeps" in v["error"]


def test_undo_takes_a_drag_back_whole():
    s = worked()
    for k in range(5):
        s.apply({"op": "set_params", "w": 1.0 + k / 10, "b": 0.0, "gesture": "g1"})
    v = s.apply({"op": "undo"})
    assert v["params"] == {"w": 1.0, "b": 0.0}


def test_drag_starts_a_new_run_and_reset_goes_back_to_its_start():
    s = worked()
    s.apply({"op": "set_params", "w": 1.5, "b": 0.5})
    s.apply({"op": "step", "count": 3})
    v = s.apply({"op": "reset"})
    assert v["params"] == {"w": 1.5, "b": 0.5} and v["update"] == 0
    want = sse([Value(1.5) * x + Value(0.5) for x in (1, 2, 3)], [3, 5, 7]).data
    assert close(v["loss"], want)


def test_lr_change_keeps_the_path_and_a_new_rule_resets_memory():
    s = worked()
    s.apply({"op": "settings", "changes": {"optimizer": "adam"}})
    s.apply({"op": "step", "count": 2})
    assert s.state.memory
    v = s.apply({"op": "settings", "changes": {"lr": 0.002}})
    assert len(v["path"]) == 3 and s.state.memory
    v = s.apply({"op": "settings", "changes": {"optimizer": "rmsprop"}})
    assert len(v["path"]) == 3 and not s.state.memory and v["settings"]["lr"] == 0.01


def test_first_state_of_csv_data_takes_a_stable_learning_rate():
    state = first_state([1.0, 2.0, 3.0], [3.0, 5.0, 7.0])
    assert state.settings.lr == 0.001  # a power of ten below 2 / lambda_max / 10 = 0.00601
    assert state.settings.lr < max_stable_lr([1, 2, 3], "sse")


def test_settings_checks_the_batch_size_against_the_data():
    with pytest.raises(LabInputError):
        Settings(batch_size=0).checked(3)
    assert Settings(batch_size=10).checked(3).batch_size == 3


def test_a_folded_graph_carries_each_boxs_range_over_the_samples():
    x = [0.5, 1.0, 2.0, 3.5, 4.0, 6.0]
    y = [2.0, 2.5, 5.5, 8.0, 8.5, 13.0]
    s = Session(first_state(x, y))
    v = s.apply({"op": "set_params", "w": 1.5, "b": 0.25})
    assert v["graph"]["folded"]
    by_name = {n["name"]: n for n in v["graph"]["nodes"].values()}
    f = 1.5 * np.array(x) + 0.25
    r = f - np.array(y)
    assert by_name["x1"]["range"]["data"] == [min(x), max(x)]
    assert by_name["y1"]["range"]["data"] == [min(y), max(y)]
    assert all(close(a, b) for a, b in zip(by_name["f1 - y1"]["range"]["data"], [r.min(), r.max()]))
    assert all(close(a, b) for a, b in zip(by_name["L1"]["range"]["data"], [(r * r).min(), (r * r).max()]))
    assert by_name["L1"]["range"]["samples"] == 6
    assert close(by_name["w"]["grad"], float(np.sum(2 * r * np.array(x))))  # summed over the samples
    assert close(by_name["b"]["grad"], float(np.sum(2 * r)))


@pytest.mark.parametrize("points", [3, 6])
@pytest.mark.parametrize("loss", ["sse", "mse"])
def test_a_known_graph_shape_is_relabelled_exactly_as_draw_graph_draws_it(points, loss):
    """The lab draws a shape once and then writes new numbers into its labels: they must be what
    draw_graph would write for the new numbers, ranges of a folded box and sums of w and b too."""
    from tinygrad_lr import draw_graph
    from tinygrad_lr.graph import topological_order
    from tinygrad_lr.lab.graph import FOLD_ABOVE, LABELS, _members

    rng = np.random.default_rng(points)
    x, y = rng.normal(size=points).tolist(), rng.normal(size=points).tolist()
    s = Session(first_state(x, y))
    s.apply({"op": "settings", "changes": {"loss": loss}})
    for w, b in [(0.5, -0.25), (1.7, 0.3), (-12.25, 1e-7), (3e5, -2.5e-5)]:
        s.apply({"op": "set_params", "w": w, "b": b})
        update = engine.Update(s.state)
        L, params = update.loss, update.model.parameters()
        fold = points > FOLD_ABOVE
        order = topological_order(L)
        _, labels, _ = LABELS.draw(L, order, _members(L, order, params) if fold else {}, fold, params)
        fresh = draw_graph(L, fold=fold, params=params)
        drawn = [re.match(r'^\s*(n\w+) \[label="((?:[^"\\]|\\.)*)"', line) for line in fresh.body]
        want = {m.group(1): m.group(2).split("\\n") for m in drawn if m}
        assert want.keys() == labels.keys()
        for nid, lines in want.items():
            assert [ln.replace('\\"', '"') for ln in lines] == labels[nid], nid
