"""Every example runs (matplotlib's Agg backend, output into a temporary folder) and shows the
numbers it promises -- the worked numbers of docs/sources.md, not just "it ran" -- and the
pictures the docs embed from it are the ones it draws today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from figures import picture_difference

from tinygrad_lr.compare import allclose, assert_close, isclose

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PNG, SVG = b"\x89PNG\r\n\x1a\n", b"<?xml"


def run_example(name: str, out: Path, capsys=None) -> dict:
    """Import ``examples/<name>.py`` (its file name starts with a digit) and call ``main``."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.__doc__ and len(module.__doc__) > 200, (
        f"{name} must open with a docstring saying what it shows"
    )
    return module.main(["--out", str(out)])


def _docs_figures() -> dict[str, list[str]]:
    tool = ROOT / "tools" / "update_docs_figures.py"
    spec = importlib.util.spec_from_file_location("update_docs_figures", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FIGURES


def assert_docs_figures_are_current(name: str, out: Path) -> None:
    """The pictures docs/ embeds from this example are what it draws now (refresh them with
    ``python tools/update_docs_figures.py``)."""
    for f in _docs_figures()[name]:
        problem = picture_difference(ROOT / "docs" / "images" / "examples" / f"{name}_{f}", out / f)
        assert problem is None, f"{problem}; run python tools/update_docs_figures.py"


def assert_figures(paths) -> None:
    assert paths, "the example promised figures"
    for path in map(Path, paths):
        data = path.read_bytes()
        assert len(data) > 1000, f"{path} is (nearly) empty"
        if path.suffix == ".png":
            assert data.startswith(PNG), f"{path} is not a PNG"
        elif path.suffix == ".svg":
            assert data.startswith(SVG) or b"<svg" in data[:500], f"{path} is not an SVG"


def test_every_example_has_a_test():
    tested = {
        line.split('"')[1] for line in Path(__file__).read_text().splitlines() if 'run_example("' in line
    }
    scripts = {p.stem for p in EXAMPLES.glob("[0-9][0-9]_*.py")}
    assert scripts <= tested, f"examples without a test: {sorted(scripts - tested)}"
    assert set(_docs_figures()) <= scripts  # the docs' pictures come from examples that exist
    assert not (EXAMPLES / "update_docs_figures.py").exists()  # maintenance lives in tools/


def test_02_fit_three_points(tmp_path):
    r = run_example("02_fit_three_points", tmp_path)
    assert_close(r["warmup_x"], 0.4, rtol=1e-6, atol=1e-12)
    assert_close(r["warmup_xy"], (0.8, 0.8), rtol=1e-6, atol=1e-12)
    assert r["w"] == 2.000148389025502  # the tutorial's numbers, to the last bit
    assert r["b"] == 0.9996626768662412
    assert_close(r["test_prediction"], 9.0, rtol=0.0, atol=1e-3)
    w_ls, b_ls = r["lstsq2"]
    assert_close((w_ls, b_ls), (24 / 13, 21 / 13), rtol=1e-6, atol=1e-12)  # the normal equations, by hand
    assert allclose(r["w2"], w_ls, rtol=0.0, atol=1e-3) and allclose(r["b2"], b_ls, rtol=0.0, atol=1e-3)
    assert_figures(r["figures"])
    assert_docs_figures_are_current("02_fit_three_points", tmp_path)


def test_07_escaping_local_minima(tmp_path):
    r = run_example("07_escaping_local_minima", tmp_path)
    pit, global_min = 1.2197, -1.5502
    assert_close(r["gd_end"], pit, rtol=0.0, atol=1e-3)  # plain GD is stuck in the pit
    assert_close(r["restart_best"], global_min, rtol=0.0, atol=1e-3)
    assert r["sgd_end"] < 0  # this seeded run slid out of the pit ...
    assert 0 < r["sgd_escaped_of_20"] < 20  # ... but not every run does
    assert_close(r["annealing_end"], global_min, rtol=0.0, atol=0.1)  # annealing finds the deep valley
    assert_close(r["annealing_polished"], global_min, rtol=0.0, atol=1e-3)
    assert_figures(r["figures"])
    assert_docs_figures_are_current("07_escaping_local_minima", tmp_path)


def test_03_fit_csv(tmp_path):
    r = run_example("03_fit_csv", tmp_path)
    assert r["n"] == 100
    assert_close(r["loss_before"], 5077.581, rtol=0.0, atol=1e-3)  # mean(y^2) of the shipped CSV
    assert r["loss_after"] < r["loss_before"] / 30
    w_ls, b_ls = r["lstsq"]
    assert_close(w_ls, 1.3, rtol=0.0, atol=0.05)  # the generator's line
    assert_close(b_ls, 8, rtol=0.0, atol=1)
    assert not r["buggy_ok"]  # the tutorial's = instead of += is caught ...
    assert "assigned (=) instead of accumulated (+=)" in r["buggy_verdict"]  # ... and named
    assert r["fixed_ok"]
    # not "iteration (the first value at 0) (0 to 1 linear, then log scale)"
    assert r["loss_xlabel"] == "iteration (0 to 1 linear, then log scale)"
    assert_figures(r["figures"])
    assert_docs_figures_are_current("03_fit_csv", tmp_path)


def test_04_sgd_synthetic(tmp_path):
    r = run_example("04_sgd_synthetic", tmp_path)
    # the tutorial's printout, from running its code (np.random.seed(0); rand, randn, randn(2, 1),
    # then randint(100) and one update per iteration, 1000 times, lr 0.01)
    # (the tutorial's own xi.dot(theta) goes through BLAS, whose kernel differs between processors
    # and may move the last bit; the framework's scalar ops give these digits everywhere)
    assert_close(r["tutorial"], (4.352670551847081, 3.052173302887621), rtol=1e-14, atol=0)
    assert r["tutorial_by_fit"] == (4.352670551847081, 3.052173302887621)  # RandomState(0), tutorial's order
    b_ls, w_ls = r["lstsq"]
    assert allclose(b_ls, 4, rtol=0.0, atol=0.3) and allclose(w_ls, 3, rtol=0.0, atol=0.3)
    b, w, dist, updates, _ = r["sgd"]
    assert dist < 0.2 and abs(b - b_ls) < 0.2 and abs(w - w_ls) < 0.2  # SGD ends near least squares
    assert updates == 2000
    assert r["minibatch"][2] < 0.2 and r["minibatch"][3] == 200
    assert r["gd"][2] > r["sgd"][2]  # with the same 20 passes, GD (20 updates) is still far off
    assert r["gd_long"][2] < 1e-9  # ... and given time it reaches least squares exactly
    assert_figures(r["figures"])
    assert_docs_figures_are_current("04_sgd_synthetic", tmp_path)


def test_06_gd_sgd_minibatch(tmp_path, capsys):
    r = run_example("06_gd_sgd_minibatch", tmp_path)
    assert r["gd_w"] == 1.9999444396553017  # the course's numbers, to the last bit
    assert r["sgd_w"] == 1.9999999999999236
    assert_close(r["gd_prediction"], 7.99978, rtol=0.0, atol=5e-6)
    assert_close(r["sgd_prediction"], 8.0, rtol=0.0, atol=1e-12)
    assert abs(r["sgd_w"] - 2) < abs(r["minibatch_w"] - 2) < abs(r["gd_w"] - 2)
    assert r["updates"] == {"GD": 100, "SGD (in order)": 300, "mini-batch of 2": 200}
    printed = capsys.readouterr().out
    assert "w = 1.9999444396553017" in printed and "predict(4) = 7.99978" in printed
    assert printed.count("loss") > 3 * 15  # the per-epoch table
    assert_figures(r["figures"])
    assert_docs_figures_are_current("06_gd_sgd_minibatch", tmp_path)


def test_05_update_rules(tmp_path):
    r = run_example("05_update_rules", tmp_path)
    w_best, stable = r["w_best"], r["max_stable_lr"]
    assert r["slope_at_0.5"] < 0  # left of the minimum the tangent slopes down: increase w
    fixed, raw, gd = r["rules"].values()
    assert allclose(np.diff(fixed), -0.3, rtol=1e-5, atol=1e-8)  # the fixed step never changes direction ...
    assert fixed[0] > w_best > fixed[-1]  # ... so it walks past the minimum
    signs = np.sign(np.asarray(raw) - w_best)
    assert (signs[1:] != signs[:-1]).all() and abs(raw[-1]) > 100  # raw slope: oscillates and blows up
    assert all(a > b > w_best for a, b in zip(gd, gd[1:]))  # lr x slope: straight down to the minimum
    small, good, large = r["lr_paths"].values()
    assert abs(good[-1] - w_best) < 1e-3 < abs(small[-1] - w_best)
    assert abs(large[-1] - w_best) > abs(large[0] - w_best)  # 0.65 > 2 / MSE'' diverges
    assert 0.2 < stable < 0.65
    assert "training diverged" in r["divergence_message"] and f"{stable:.6g}" in r["divergence_message"]
    assert_figures(r["figures"])
    assert_docs_figures_are_current("05_update_rules", tmp_path)


def test_01_one_step_by_hand(tmp_path, capsys):
    r = run_example("01_one_step_by_hand", tmp_path)
    assert r["loss_before"] == 29.0
    assert (r["dw"], r["db"]) == (-40.0, -18.0)
    assert allclose(r["w"], 1.4, rtol=0.0, atol=1e-15) and allclose(r["b"], 0.18, rtol=0.0, atol=1e-15)
    assert_close(r["loss_after"], 12.9612, rtol=0.0, atol=1e-12)
    printed = capsys.readouterr().out
    assert "Loss(w=1, b=0) = 29" in printed and "= 12.9612" in printed
    assert "dLoss/dw = -40" in printed and "dLoss/db = -18" in printed
    assert_figures(r["figures"])
    assert_docs_figures_are_current("01_one_step_by_hand", tmp_path)
    page = Path(r["walkthrough"])
    frames = sorted(page.parent.glob("step_*.svg"))
    assert len(frames) > 10 and page.read_text().count("<svg") == len(frames)
    assert_figures(frames[:1])
    assert "grad &#45;40" in Path(r["figures"][0]).read_text()  # the gradients, "-" escaped


def test_01_without_graphviz_prints_everything_then_names_the_skipped_pictures(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))  # no `dot` anywhere
    r = run_example("01_one_step_by_hand", tmp_path)
    assert (r["dw"], r["db"]) == (-40.0, -18.0)
    assert_close(r["loss_after"], 12.9612, rtol=0.0, atol=1e-12)
    printed = capsys.readouterr().out
    numbers, _, skipped = printed.partition("pictures skipped (3):")
    assert "dLoss/dw = -40" in numbers and "= 12.9612" in numbers  # all the text comes first ...
    assert all(n in skipped for n in ("graph.svg", "graph.png", "walkthrough/"))  # ... then what was skipped
    assert "'dot' program was not found" in skipped and "install Graphviz: " in skipped
    assert [Path(p).name for p in r["figures"]] == ["after_step.png"]  # matplotlib's picture still drawn
    assert (tmp_path / "graph.dot").exists() and r["walkthrough"] is None


def test_08_loss_landscape(tmp_path):
    r = run_example("08_loss_landscape", tmp_path)
    for w, b in r["ends"].values():  # every optimizer heads for the minimum (2, 1)
        assert abs(w - 2) < 0.05 and abs(b - 1) < 0.05
    assert r["updates"] == {"GD": 100, "SGD, in order": 300, "mini-batch of 2": 200}
    lam_min, lam_max = r["eigenvalues"]
    assert_close(lam_min + lam_max, 34.0, rtol=1e-6, atol=1e-12)  # H = [[28, 12], [12, 6]]
    assert_close(lam_min * lam_max, 24.0, rtol=1e-6, atol=1e-12)
    assert_close(r["max_stable_lr"], 2 / lam_max, rtol=1e-6, atol=1e-12)
    assert_close(r["max_stable_lr"], 0.0600983, rtol=0.0, atol=1e-7)
    assert np.hypot(r["under_end"][0] - 2, r["under_end"][1] - 1) < 1  # just under: settling
    assert np.hypot(r["over_end"][0] - 2, r["over_end"][1] - 1) > 2  # just over: flung out
    assert "training diverged" in r["divergence_message"] and "0.0600983" in r["divergence_message"]
    assert_figures(r["figures"])
    assert_docs_figures_are_current("08_loss_landscape", tmp_path)


def test_the_shipped_csv_is_what_its_seeded_generator_makes():
    spec = importlib.util.spec_from_file_location(
        "make_study_hours", EXAMPLES / "data" / "make_study_hours.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0
    hours, scores = module.make_study_hours()
    assert len(hours) == 100 and 25 <= hours.min() and hours.max() <= 71
    assert 25 < scores.min() < 40 and 105 < scores.max() < 125  # the tutorial's range, roughly 31..119


def test_09_newton_vs_gd(tmp_path):
    r = run_example("09_newton_vs_gd", tmp_path)
    assert_close(r["hessian"], r["closed_form"], rtol=1e-12, atol=1e-12)
    assert_close(2.0 / r["lambda_max"], r["stable_lr"], rtol=1e-15, atol=1e-12)
    assert r["newton_after_one_step"] < 1e-12  # least squares in one step
    assert r["gd_after_one_step"] > 0.1
    assert 100 < r["gd_steps_to_close"] < 600  # hundreds of steps
    assert_figures(r["figures"])
    assert_docs_figures_are_current("09_newton_vs_gd", tmp_path)


def test_10_optimizers(tmp_path):
    r = run_example("10_optimizers", tmp_path)
    well, ill = r["well conditioned"], r["ill conditioned"]
    assert_close(well["bound"], 1.0, rtol=0.0, atol=1e-12)  # standardized x: Hessian 2 I, 2 / lambda_max = 1
    assert well["GD"] < 1e-9 and well["Nesterov 0.9"] < 1e-6  # the round bowl: straight to the minimum
    assert ill["GD"] > 1.0  # the narrow valley: 60 updates of GD end far from it ...
    assert ill["momentum 0.9"] < 0.6 * ill["GD"] and ill["Nesterov 0.9"] < 0.6 * ill["GD"]  # momentum helps
    assert_figures(r["figures"])
    assert_docs_figures_are_current("10_optimizers", tmp_path)


def test_the_tutorials_gradient_bug_is_told_one_way_everywhere():
    """docs/sources.md, docs/gradcheck.md, notebook 03 and example 03 retell the data.csv
    tutorial's bug; example 03 once assigned both gradients while the others said only w's. The
    buggy function of each must compute the same thing: b's gradient added up (right), w's
    assigned (only the last point)."""
    import json
    import re

    def defined(source: str, name: str):
        namespace: dict = {}
        exec(source, namespace)
        return namespace[name]

    spec = importlib.util.spec_from_file_location("example_03", EXAMPLES / "03_fit_csv.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    page = (ROOT / "docs" / "gradcheck.md").read_text()
    start = "```python\nimport numpy as np\nfrom tinygrad_lr import check_gradient_fn\n"
    block = re.search(re.escape(start) + r"(.*?)\npoints =", page, re.S).group(1)
    cells = json.loads((ROOT / "notebooks" / "03_check_your_gradient.ipynb").read_text())["cells"]
    (cell,) = ["".join(c["source"]) for c in cells if "def tutorial_gradient" in "".join(c["source"])]
    cell = cell[cell.index("def tutorial_gradient") : cell.index("report =")]
    tellings = {
        "examples/03_fit_csv.py": example.step_gradient_buggy,
        "docs/gradcheck.md": defined(block, "gradient"),
        "notebooks/03": defined(cell, "tutorial_gradient"),
    }
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=7), rng.normal(size=7)
    w, b = 0.7, -0.2
    r = w * x + b - y
    right_b = float(np.mean(2 * r))
    last_w = 2 / len(x) * r[-1] * x[-1]
    for where, fn in tellings.items():
        dw, db = fn(w, b, x, y)
        assert isclose(db, right_b, rtol=1e-12), f"{where}: b's gradient is not added up"
        assert isclose(dw, last_w, rtol=1e-12), f"{where}: w's gradient is not the last point's alone"
    sources = " ".join((ROOT / "docs" / "sources.md").read_text().split())
    assert "b_gradient += (2/n) * ((w*x + b) - y)" in sources
    assert "w_gradient = (2/n) * ((w*x + b) - y) * x # should be +=" in sources
