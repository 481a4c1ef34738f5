"""The learner notebooks in notebooks/ run top to bottom on a real Jupyter kernel and show the
worked numbers -- checked against the tutorials' numbers and against plain numpy here, never
against what the notebook printed last time -- and each picture appears once, as an image."""

from __future__ import annotations

import json

import numpy as np
import pytest

from notebooks import (
    NOTEBOOKS,
    ROOT,
    STORED,
    cell_text,
    find_cell,
    output_differences,
    rich_kinds,
    run_notebook,
)
from tinygrad_lr.compare import allclose

LEARNER_NOTEBOOKS = [
    "01_worked_example.ipynb",
    "02_gd_sgd_minibatch.ipynb",
    "03_check_your_gradient.ipynb",
    "04_seeing_a_fit.ipynb",
    "05_predict_then_run.ipynb",
    "06_logistic_regression.ipynb",
]
_RUN: dict = {}


@pytest.fixture
def executed():
    def run(name, timeout=120):
        if name not in _RUN:
            _RUN[name] = run_notebook(name, timeout=timeout)
        return _RUN[name]

    return run


def _text(nb, marker: str) -> str:
    return cell_text(find_cell(nb, marker))


def _markdown(nb, marker: str) -> str:
    """The text of the first markdown cell holding ``marker``."""
    return next(c.source for c in nb.cells if c.cell_type == "markdown" and marker in c.source)


def _cell_of(nb, source: str):
    """The code cell whose whole source is ``source`` (for one-word cells such as ``history``)."""
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and c.source.strip() == source]
    return cell


def test_the_notebooks_are_committed_with_their_outputs_and_linked_from_the_readmes():
    """The learner notebooks store their outputs (their figures show on the repository's web
    page; the next test checks them); the exercises notebook, which a learner fills in, none."""
    assert sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) == LEARNER_NOTEBOOKS
    assert set(LEARNER_NOTEBOOKS) <= set(STORED)
    for name in LEARNER_NOTEBOOKS:
        nb = json.loads((NOTEBOOKS / name).read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
        assert sum(bool(cell["outputs"]) for cell in code) >= 3, name  # stored, shown on the web page
        readme, index = (ROOT / "README.md").read_text(), (ROOT / "docs" / "README.md").read_text()
        assert f"notebooks/{name}" in readme and f"../notebooks/{name}" in index
    exercises = json.loads((NOTEBOOKS / "exercises.ipynb").read_text())
    assert all(c["outputs"] == [] for c in exercises["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("name", STORED)
def test_the_stored_outputs_are_what_a_fresh_run_shows(executed, name):
    """Every printed line and every picture a notebook stores is what it shows when run today
    (else: python tools/update_notebooks.py NAME)."""
    stored = json.loads((NOTEBOOKS / name).read_text())
    assert output_differences(stored, executed(name)) == [], f"python tools/update_notebooks.py {name}"


def test_01_the_worked_example_from_forward_pass_to_update(executed):
    nb = executed("01_worked_example.ipynb")
    # "Try it": lr 0.1 overshoots, the loss grows -- from w = 1, b = 0 the step is 0.1 * (40, 18)
    assert "change `lr` to `0.1`" in _markdown(nb, "**Try it:**")
    w1, b1 = 1 + 0.1 * 40, 0 + 0.1 * 18
    assert sum((w1 * x + b1 - y) ** 2 for x, y in [(1, 3), (2, 5), (3, 7)]) > 29
    forward = _text(nb, "predictions = [w * xi + b for xi in x]")
    assert "residuals f_i - y_i: [-2.0, -3.0, -4.0]" in forward
    assert "Loss(1, 0) = 29.0" in forward  # 4 + 9 + 16
    backward = _text(nb, "loss.backward()")
    assert "dLoss/dw = -40.0" in backward and "dLoss/db = -18.0" in backward
    params = _cell_of(nb, "w, b")  # a short text repr: value, gradient, name
    assert rich_kinds(params) == ["text/plain"]
    shown = " ".join(cell_text(params).split())  # IPython may wrap the tuple over two lines
    assert shown == "(Value(data=1.0, grad=-40.0, label='w'), Value(data=0.0, grad=-18.0, label='b'))"
    graph = find_cell(nb, "draw_graph(loss)")
    assert rich_kinds(graph) == ["image/svg+xml"]  # the graph, once
    svg = "".join(graph.outputs[0]["data"]["image/svg+xml"])
    assert all(f">x{i} (data)<" in svg and f">y{i} (data)<" in svg for i in (1, 2, 3))  # data named
    steps = _text(nb, "walkthrough_text(loss)")
    assert steps.rstrip().endswith("= -40") and "= -18" in steps
    assert "w = 1.4, b = 0.18" in _text(nb, "opt.step()")  # 1 - 0.01 * (-40), 0 - 0.01 * (-18)
    assert "Loss(1.4, 0.18) = 12.9612" in _text(nb, "after = sse(")
    assert rich_kinds(find_cell(nb, "plot.fit_line(")) == ["image/png"]  # the plot, once


def test_02_gd_sgd_and_mini_batch(executed):
    nb = executed("02_gd_sgd_minibatch.ipynb")
    gd_step = _text(nb, "grad = sum(")
    assert f"dMSE/dw = {-28 / 3:.6g}, w -> {1 + 0.01 * 28 / 3:.6g}" in gd_step
    w, expected = 1.0, []
    for x, y in [(1, 2), (2, 4), (3, 6)]:  # SGD by hand: one update per sample, in order
        grad = 2 * x * (x * w - y)
        w -= 0.01 * grad
        expected.append(f"sample ({x}, {y}): dL/dw = {grad:.6g}, w -> {w:.6g}")
    assert [line.split("SGD: ")[1] for line in _text(nb, "opt = SGD(").splitlines()] == expected
    runs = _text(nb, "histories[label] = fit(")
    assert "GD               w = 1.9999444396553017   100 updates   predict(4) = 7.99978" in runs
    assert "SGD (in order)   w = 1.9999999999999236   300 updates" in runs  # the course's numbers
    assert "mini-batch of 2" in runs and "200 updates" in runs
    assert rich_kinds(find_cell(nb, "plot.loss_curves(")) == ["image/png"]
    assert rich_kinds(find_cell(nb, "plot.loss_vs_w(")) == ["image/png"]
    # "Try it" at lr 0.21: exactly one of the three diverges, SGD; at 0.22 GD too; at 0.26 all
    assert "set `lr = 0.21` at the top" in _markdown(nb, "**Try it:**")
    assert _diverging([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 0.2) == set()
    assert _diverging([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 0.21) == {"sgd"}
    assert _diverging([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 0.22) == {"gd", "sgd"}
    assert _diverging([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 0.26) == {"gd", "sgd", "minibatch"}
    # why, worked out: the error in w is multiplied, per epoch, by GD |1 - lr*2*mean(x^2)|, SGD
    # |1 - 2 lr x1^2| |1 - 2 lr x2^2| |1 - 2 lr x3^2|, the mini-batches [1, 2] and [3] likewise
    factors = {
        "gd": lambda lr: abs(1 - lr * 28 / 3),
        "sgd": lambda lr: abs(1 - 2 * lr) * abs(1 - 8 * lr) * abs(1 - 18 * lr),
        "minibatch": lambda lr: abs(1 - 5 * lr) * abs(1 - 18 * lr),
    }
    assert {name for name, f in factors.items() if f(0.21) > 1} == {"sgd"}
    assert all(f(0.2) < 1 for f in factors.values())


def _diverging(xs, ys, lr):
    """The rules of notebook 02 (model y = x*w from w = 1, MSE, 100 epochs) that diverge at ``lr``."""
    from tinygrad_lr import DivergenceError, LinearRegression, fit

    out = set()
    for name, options in (("gd", {}), ("sgd", {}), ("minibatch", {"batch_size": 2})):
        try:
            fit(LinearRegression(bias=False, w=1.0), (xs, ys), name, loss="mse", lr=lr, epochs=100,
                progress=False, **options)
        except DivergenceError:
            out.add(name)
    return out


def test_03_checking_your_own_gradient(executed):
    nb = executed("03_check_your_gradient.ipynb")
    assert _text(nb, "def my_gradient").strip() == "(-40.0, -18.0)"
    fd = _text(nb, "h = 1e-6")
    assert "dLoss/dw ~ -40.000000" in fd and "dLoss/db ~ -18.000000" in fd
    assert _text(nb, "report = check_gradient_fn(my_gradient").strip() == "OK: all 8 comparisons agree."
    verdict = _text(nb, "def tutorial_gradient")
    assert verdict.startswith("FAILED: 4 of 8 comparisons disagree, for w.")
    assert "assigned (=) instead of accumulated (+=)" in verdict


def test_04_seeing_a_fit_happen(executed):
    nb = executed("04_seeing_a_fit.ipynb")
    points = np.genfromtxt(ROOT / "examples" / "data" / "study_hours.csv", delimiter=",")
    x, y = points[:, 0], points[:, 1]
    w = b = 0.0
    for _ in range(1000):  # the tutorial's loop, in numpy: full-batch GD on the MSE, lr 1e-4
        r = w * x + b - y
        w, b = w - 1e-4 * np.mean(2 * r * x), b - 1e-4 * np.mean(2 * r)
    fit_text = _text(nb, "history = fit(")
    assert f"loss before: {np.mean(y**2):.4f}" in fit_text  # every prediction 0: mean(y^2)
    assert f"loss after 1000 iterations: {np.mean((w * x + b - y) ** 2):.4f}" in fit_text
    assert f"w = {w:.6f}, b = {b:.6f}" in fit_text
    summary = _cell_of(nb, "history")
    (shown,) = [out for out in summary.outputs if "data" in out]  # the History, once, as a table
    html = shown["data"]["text/html"]
    assert rich_kinds(summary) == ["text/html"] and html.count("<tr>") < 20  # a summary, not 1000 rows
    assert f"{np.mean(y**2):.6g}" in html
    (w_ls, b_ls), *_ = np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)
    landscape = find_cell(nb, "plot.loss_landscape(")
    assert f"least squares: w = {w_ls:.6f}, b = {b_ls:.6f}" in cell_text(landscape)
    for marker in ("snapshots = {", "plot.loss_curves(", "plot.loss_landscape("):
        assert rich_kinds(find_cell(nb, marker)) == ["image/png"], marker  # each figure once
    # "Try it": after 100,000 iterations b is still far from the star (the valley's floor is flat);
    # lr 5e-4 is above the largest stable rate, 2 / lambda_max of the MSE's Hessian 2 A^T A / n
    A = np.c_[x, np.ones_like(x)]
    lam = np.linalg.eigvalsh(2 * A.T @ A / len(y))
    assert 1e-4 < 2 / lam[-1] < 5e-4
    step = np.eye(2) - 1e-4 * 2 * A.T @ A / len(y)  # GD's error recurrence e <- (I - lr H) e
    b_100k = b_ls + (np.linalg.matrix_power(step, 100_000) @ (np.zeros(2) - [w_ls, b_ls]))[1]
    assert b_ls - b_100k > 1.0, b_100k  # not at the star: still more than 1 below it
    assert "run the fit for 100,000 iterations" in _markdown(nb, "**Try it:**")
    assert "`lr=5e-4`" in _markdown(nb, "**Try it:**")
    from tinygrad_lr import DivergenceError, LinearRegression, fit, load_csv

    with pytest.raises(DivergenceError):
        fit(LinearRegression(w=0.0, b=0.0), load_csv(ROOT / "examples" / "data" / "study_hours.csv"), "gd",
            lr=5e-4, loss="mse", epochs=1000, progress=False)
    # the fix, shown: standardized, lr 0.1, 100 iterations reach the least-squares line
    fixed = _text(nb, "standardize=True")
    assert f"largest stable lr: {2 / lam[-1]:.3g} on hours, 1 on z" in fixed
    best = np.mean((A @ [w_ls, b_ls] - y) ** 2)
    assert f"loss {best:.4f}" in fixed and f"w = {w_ls:.6f}, b = {b_ls:.6f} (in hours)" in fixed
    assert rich_kinds(find_cell(nb, "mse_z")) == ["image/png"]


def test_05_predict_then_run(executed):
    """Every question's premise computed here from the data (eigvalsh of 2 A^T A / n, the update
    rule in numpy), and the answer the notebook prints asserted against it."""
    import math

    nb = executed("05_predict_then_run.ipynb", timeout=300)
    points = np.genfromtxt(ROOT / "examples" / "data" / "study_hours.csv", delimiter=",")
    x, y = points[:, 0], points[:, 1]
    A = np.c_[x, np.ones_like(x)]
    lam = np.linalg.eigvalsh(2 * A.T @ A / len(x))
    kappa = lam[1] / lam[0]
    bowl = _text(nb, "q = quadratic(data)")
    assert f"lambda1 = {lam[0]:.6g}" in bowl and f"lambda2 = {lam[1]:.6g}" in bowl
    assert f"condition number kappa = {kappa:.6g}" in bowl
    # question 1: lr = 0.0004 flips the steep direction's sign (1 - lr*lambda2 < 0) and q1 is the slow one
    f1, f2 = 1 - 0.0004 * lam
    assert f2 < 0 < f1 and abs(f1) > abs(f2)
    q1 = _text(nb, "factors = q.factors(lr)")
    assert f"1 - lr*lambda1 = {f1:.6f}   1 - lr*lambda2 = {f2:.6f}" in q1
    assert "q2 flips sign every step: True; the slow direction: q1" in q1
    run = _text(nb, 'predicted = q.predict("gd", lr, steps=1000)')
    assert float(run.split("largest difference: ")[1].split(" ")[0]) <= 1e-9
    assert f"[ {f1:.6f} {f2:.6f}]" in run  # the engine's own factors per step
    for marker in ("plot.theory_landscape(q,", "plot.error_directions(", "plot.phase_diagram(", "view.fig"):
        assert rich_kinds(find_cell(nb, marker)) == ["image/png"], marker  # each figure once
    # question 2: lr = 0.0005 is past 2 / lambda_max, so it diverges; where the loss overflows, the run stops
    assert 0.0005 > 2 / lam[1]
    stable = _text(nb, "stable only for lr")
    assert f"lr < 2 / lambda_max = {2 / lam[1]:.6g}" in stable and f"= {1 - 0.0005 * lam[1]:.5f}" in stable
    w = b = 0.0
    k, overflowed = 0, False
    while not overflowed and k < 3000:  # the update rule in numpy until the sum of squares overflows
        r = w * x + b - y
        w, b = w - 0.0005 * np.mean(2 * r * x), b - 0.0005 * np.mean(2 * r)
        k += 1
        with np.errstate(over="ignore"):
            overflowed = not np.isfinite(np.sum((w * x + b - y) ** 2))
    assert overflowed
    assert f"the loss overflows at step {k}" in stable
    assert f"the engine: diverged at epoch {k}" in _text(nb, "except DivergenceError")
    # question 3: the best fixed lr and its rate (kappa - 1) / (kappa + 1)
    best = _text(nb, "best = q.best_lr()")
    assert f"best lr = {2 / (lam[0] + lam[1]):.6g}, rate {(kappa - 1) / (kappa + 1):.6f}" in best
    predicted_gd = int(best.split("1e-6: ")[1])
    assert 150_000 < predicted_gd < 250_000
    # question 4: standardized, H = 2 I: kappa 1, lr 1/2, one step
    z = (x - x.mean()) / x.std()
    Z = np.c_[z, np.ones_like(z)]
    assert allclose(2 * Z.T @ Z / len(z), 2 * np.eye(2), rtol=1e-5, atol=1e-8)
    std = _text(nb, "qz = quadratic(data, standardize=True)")
    assert "kappa = 1.000000, best lr = 0.5" in std and "predicted steps: 1\n" in std
    L_star = np.mean((A @ np.linalg.lstsq(A, y, rcond=None)[0] - y) ** 2)
    assert f"MSE {L_star:.6f}; the minimum {L_star:.6f}" in std
    # question 5: Polyak's momentum needs far fewer steps than the best GD, and the engine agrees
    s = math.sqrt(kappa)
    assert (s - 1) / (s + 1) < (kappa - 1) / (kappa + 1)
    mom = _text(nb, "lr, mu = q.polyak()")
    assert f"rate {(s - 1) / (s + 1):.6f}" in mom and f"momentum {((s - 1) / (s + 1)) ** 2:.6f}" in mom
    predicted = int(mom.split("predicted steps: ")[1].split(" ")[0])
    actual = int(mom.split("the engine's steps: ")[1])
    assert abs(predicted - actual) <= 1 and predicted < predicted_gd / 50


def test_06_logistic_regression_by_hand_then_on_100_students(executed):
    """The two points by hand (p = 1/2, L = log 2, dL/dw = (0.5 * 1 - 0.5 * 3) / 2 = -0.5, one
    step to w = 0.5), the three-way check, and Newton's answer against numpy's own IRLS loop."""
    import math

    nb = executed("06_logistic_regression.ipynb")
    forward = _text(nb, "L = bce_with_logits(z, y)")
    assert "z = [0.0, 0.0]  p = [0.5, 0.5]" in forward and f"L = {math.log(2):.6f}" in forward
    backward = _text(nb, "L.backward()")
    assert "autodiff: dL/dw = -0.5, dL/db = 0.0" in backward
    assert "formula:  mean((p - y) x) = -0.5, mean(p - y) = 0.0" in backward
    # after the step z = 0.5, 1.5: L = (log(1 + e^0.5) + log(1 + e^-1.5)) / 2
    step = (math.log1p(math.exp(0.5)) + math.log1p(math.exp(-1.5))) / 2
    assert f"one step with lr = 1: w = 0.5, b = 0.0, L = {step:.6f}" in backward
    report = _text(nb, "check_logistic_regression(")
    assert "OK: all 4 comparisons agree." in report
    data = np.genfromtxt(ROOT / "examples" / "data" / "exam_results.csv", delimiter=",", skip_header=1)
    A, y = np.c_[data[:, :2], np.ones(len(data))], data[:, 2]
    theta = np.zeros(3)
    for _ in range(25):  # Newton's method written out in numpy
        p = 1 / (1 + np.exp(-A @ theta))
        theta -= np.linalg.solve((A * (p * (1 - p))[:, None]).T @ A, A.T @ (p - y))
    newton = _text(nb, "history = fit(model, data")
    assert f"Newton (autodiff): {np.round(theta, 6)}" in newton
    assert "accuracy: 0.9" in newton
    for marker in ("plot.decision_boundaries(", "plot.sigmoid_samples("):
        assert rich_kinds(find_cell(nb, marker)) == ["image/png"], marker  # each figure once
