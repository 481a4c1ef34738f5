"""The replay page in a real headless Chromium: every panel shows the same moment.

The numbers the panels show are compared with the recording (the optimizer's own numbers,
checked against the tutorial's in test_replay.py): the parameters in the text, the landscape's
current point and the graph's parameter boxes must be the same values at every moment reached
by the buttons, the keys, the slider and play.
"""

from __future__ import annotations

import time

import pytest
from browser import chromium, console_errors

from tinygrad_lr import LinearRegression, load_csv
from tinygrad_lr.compare import assert_close
from tinygrad_lr.replay import frame_updates, record, write_replay
from tinygrad_lr.viz.recording import fmt, fmt_change

pytest.importorskip("selenium")  # a dev dependency; chromium() fails loudly if it is missing

PHASES = ["forward", "backward", "update"]


def moment(driver) -> dict:
    """What the page shows now, read from each panel on its own."""
    return driver.execute_script(
        """
        var out = {update: +document.body.dataset.update, phase: document.body.dataset.phase, text: {},
                   graph: {}, state: document.getElementById("state").textContent};
        document.querySelectorAll("#state .pv").forEach(function (s) {
            out.text[s.dataset.name] = parseFloat(s.dataset.value); });
        var p = document.getElementById("landscape-point");
        out.point = [parseFloat(p.getAttribute("data-x")), parseFloat(p.getAttribute("data-y"))];
        out.cursor = +document.getElementById("loss-cursor").getAttribute("data-update");
        document.querySelectorAll("div.template:not([hidden]) g.node").forEach(function (g) {
            var t = g.querySelectorAll("text");
            out.graph[t[0].textContent] = Array.prototype.map.call(t, function (e) { return e.textContent; });
        });
        out.note = document.getElementById("graph-note").textContent;
        out.phases = ["forward", "backward", "update"].map(function (n) {
            return document.getElementById("phase-" + n).textContent; });
        return out;
        """
    )


def check(m: dict, rec, k: int, phase: int) -> None:
    """The moment (update k, 0-based, and phase) as every panel must show it."""
    p = (rec.before if phase < 2 else rec.after)[k]
    assert m["update"] == k + 1 and m["phase"] == PHASES[phase] and m["cursor"] == k + 1
    assert m["text"] == {"w": p[0], "b": p[1]}  # exactly the recorded doubles
    assert m["point"] == [p[0], p[1]]
    assert f"w = {fmt(p[0])}, b = {fmt(p[1])}" in m["state"]
    if k in frame_updates(rec.updates):
        w_box, b_box = m["graph"]["w (parameter)"], m["graph"]["b (parameter)"]
        if phase < 2:
            assert w_box[1] == f"data {fmt(p[0])}" and b_box[1] == f"data {fmt(p[1])}"
        else:
            assert w_box[1] == "data {} (was {})".format(*fmt_change(p[0], rec.before[k][0]))
            assert b_box[1] == "data {} (was {})".format(*fmt_change(p[1], rec.before[k][1]))
        grads = rec.grads[k]
        want = "grad ? (not computed yet)" if phase == 0 else f"grad {fmt(grads[0])}"
        assert w_box[2] == want
    else:
        assert m["graph"] == {} and m["note"].startswith(f"No graph frame for update {k + 1}:")


def scrub(driver, update: int) -> None:
    driver.execute_script(
        "var s = document.getElementById('scrub'); s.value = arguments[0];"
        "s.dispatchEvent(new Event('input'));",
        str(update),
    )


def test_stepping_scrubbing_and_playing_keep_every_panel_on_the_same_moment(tmp_path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    rec = record(
        LinearRegression(w=1.0, b=0.0), ([1, 2, 3], [3, 5, 7]), "gd", lr=0.01, loss="sse", epochs=1000
    )
    page = write_replay(rec, tmp_path / "replay")
    with chromium() as driver:
        driver.get(page.as_uri())
        check(moment(driver), rec, 0, 0)
        m = moment(driver)
        assert m["phases"][0].endswith("L = SSE = 29")
        driver.find_element(By.ID, "next").click()
        m = moment(driver)
        check(m, rec, 0, 1)
        assert m["phases"][1] == "backward: dL/dw = -40, dL/db = -18"
        driver.find_element(By.ID, "next").click()
        m = moment(driver)
        check(m, rec, 0, 2)
        assert m["phases"][2] == "update: w <- 1 - 0.01 * (-40) = 1.4   b <- 0 - 0.01 * (-18) = 0.18"
        body = driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.ARROW_RIGHT)
        check(moment(driver), rec, 1, 0)
        body.send_keys(Keys.SHIFT, Keys.ARROW_RIGHT)
        check(moment(driver), rec, 2, 0)
        body.send_keys(Keys.ARROW_LEFT)
        check(moment(driver), rec, 1, 2)
        driver.find_element(By.ID, "prev-step").click()
        check(moment(driver), rec, 0, 2)
        body.send_keys(Keys.END)
        check(moment(driver), rec, 999, 2)
        assert driver.find_element(By.ID, "next").get_attribute("disabled") is not None
        body.send_keys(Keys.HOME)
        check(moment(driver), rec, 0, 0)
        # the slider: an update without a graph frame, then one with
        scrub(driver, 500)
        check(moment(driver), rec, 499, 0)
        framed = frame_updates(rec.updates)[40]
        scrub(driver, framed + 1)
        check(moment(driver), rec, framed, 0)
        driver.find_element(By.ID, "next").click()
        check(moment(driver), rec, framed, 1)
        # play runs through the phases by itself; pause stops it
        driver.execute_script("document.getElementById('speed').value = '100';")
        scrub(driver, 1)
        driver.find_element(By.ID, "play").click()
        deadline = time.time() + 10
        while moment(driver)["update"] < 4 and time.time() < deadline:
            time.sleep(0.05)
        driver.find_element(By.ID, "play").click()  # pause
        assert driver.find_element(By.TAG_NAME, "body").get_attribute("data-playing") == "false"
        stopped = moment(driver)
        assert stopped["update"] >= 4
        time.sleep(0.3)
        assert moment(driver)["update"] == stopped["update"]
        check(moment(driver), rec, stopped["update"] - 1, PHASES.index(stopped["phase"]))
        # nothing was fetched, nothing went wrong
        assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
        assert console_errors(driver) == []


def test_the_folded_graph_shows_the_picked_samples_numbers(tmp_path) -> None:
    from selenium.webdriver.support.ui import Select

    data = load_csv("examples/data/study_hours.csv")
    rec = record(LinearRegression(), data, "gd", lr=0.0002, epochs=30)
    page = write_replay(rec, tmp_path / "replay")
    with chromium() as driver:
        driver.get(page.as_uri())
        driver.execute_script("document.getElementById('next').click()")  # phase 2: gradients
        picker = Select(driver.find_element("id", "sample"))
        assert picker.first_selected_option.text.startswith("sample 1: x = 54.3052")
        picker.select_by_value("6")  # the 7th sample of the batch, row 7 of the file
        m = moment(driver)
        x7, y7 = data.X[6, 0], data.y[6]
        assert m["graph"]["x7 (data)"][1] == f"data {fmt(x7)}"
        assert m["graph"]["y7 (data)"][1] == f"data {fmt(y7)}"
        f7 = rec.predictions[0][6]
        f7_box = m["graph"]["f7 = w*x7 + b"]
        assert f7_box[1] == f"data {fmt(f7)}"
        assert f7_box[2] == f"grad {fmt(2 * (f7 - y7) / 100)}"  # dMSE/df_7 = 2 (f - y) / n
        picker.select_by_value("-1")  # ranges over all samples
        m = moment(driver)
        assert m["graph"]["x_i (data)"][1] == f"data {fmt(data.X[:, 0].min())} ... {fmt(data.X[:, 0].max())}"
        assert console_errors(driver) == []


GRAPH_TEXT = """
    var s = document.querySelector("div.template:not([hidden]) svg");
    var k = s.getBoundingClientRect().width / s.viewBox.baseVal.width, min = Infinity;
    s.querySelectorAll("text").forEach(function (t) {
        min = Math.min(min, parseFloat(t.getAttribute("font-size")) * k); });
    return min;
"""


@pytest.mark.parametrize("folded", [False, True], ids=["three points", "100-point CSV, folded"])
def test_the_graph_is_readable_at_a_laptops_size_and_zooms(tmp_path, folded: bool) -> None:
    """At 1366x768 the smallest node text is at least 11 px (it was 8 px, and 6 px folded); the
    -/fit/+ buttons and the +/- keys zoom, dragging moves the picture."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    data = load_csv("examples/data/study_hours.csv") if folded else ([1, 2, 3], [3, 5, 7])
    rec = record(LinearRegression(), data, "gd", lr=0.0002 if folded else 0.01, epochs=5)
    page = write_replay(rec, tmp_path / "replay")
    with chromium(1366, 768) as driver:
        driver.get(page.as_uri())
        smallest = driver.execute_script(GRAPH_TEXT)
        assert smallest >= 11
        driver.find_element(By.ID, "zoom-in").click()
        assert_close(driver.execute_script(GRAPH_TEXT), smallest * 1.25, rtol=1e-3, atol=1e-12)
        driver.find_element(By.TAG_NAME, "body").send_keys("-")
        assert_close(driver.execute_script(GRAPH_TEXT), smallest, rtol=1e-3, atol=1e-12)
        driver.find_element(By.ID, "zoom-fit").click()
        assert_close(driver.execute_script(GRAPH_TEXT), smallest, rtol=1e-3, atol=1e-12)
        graph = driver.find_element(By.ID, "graph")
        driver.execute_script("arguments[0].scrollIntoView()", graph)
        if driver.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", graph):
            drag = ActionChains(driver).move_to_element(graph).click_and_hold().move_by_offset(-200, 0)
            drag.release().perform()
            assert driver.execute_script("return arguments[0].scrollLeft", graph) > 100
        assert console_errors(driver) == []


def test_the_loss_axis_and_the_step_arrow_tell_the_truth(tmp_path) -> None:
    """No tick label runs out of the loss panel ("100("), a diverging run's log axis has round
    ticks (not its range's ends, 196.571 and 19.3333), and a step too short to see is not drawn
    as a big arrowhead; the text then shows enough digits to see the step."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    three = ([1, 2, 3], [3, 5, 7])
    rec = record(LinearRegression(w=1.0, b=0.0), three, "gd", lr=0.01, loss="sse", epochs=100)
    page = write_replay(rec, tmp_path / "replay")
    # just over the stable lr 0.0601: the loss grows 29 -> 71.6 in 3 updates, within one decade
    growing = record(LinearRegression(w=1.0, b=0.0), three, "gd", lr=0.065, loss="sse", epochs=3)
    assert growing.losses[-1] > growing.losses[0] and growing.history.losses[-1] < 100
    page2 = write_replay(growing, tmp_path / "growing")
    ticks = """return Array.prototype.filter.call(document.querySelectorAll("#loss-svg .axis text"),
        function (t) { return !t.hasAttribute("transform"); }).map(function (t) {
        var b = t.getBBox(); return [t.textContent, b.x, b.x + b.width]; });"""
    with chromium(1366, 768) as driver:
        driver.get(page.as_uri())
        assert all(0 <= left and right <= 420 for _, left, right in driver.execute_script(ticks))
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
        length = float(driver.find_element(By.CSS_SELECTOR, ".step-arrow").get_attribute("data-length"))
        shown = driver.find_element(By.CSS_SELECTOR, ".step-arrow").get_attribute("visibility")
        assert (length < 2) == (shown == "hidden")
        if length < 2:
            assert "too short to see" in driver.find_element(By.ID, "landscape-legend").text
        update = driver.find_element(By.ID, "phase-update").text
        now, was = fmt_change(rec.after[-1][0], rec.before[-1][0])
        assert f"w <- {was} - 0.01 * " in update and update.split("   ")[0].endswith(f"= {now}")
        assert now != was
        driver.get(page2.as_uri())
        labels = [t for t, _, _ in driver.execute_script(ticks)]
        y_ticks = [float(t) for t in labels[labels.index("3") + 1 : -1]]  # after the x axis's 0 ... 3
        round_numbers = all(f"{v:g}"[0] in "125" and float(f"{v:.1g}") == v for v in y_ticks)
        assert len(y_ticks) >= 2 and round_numbers, labels
        assert console_errors(driver) == []


def test_the_replay_page_passes_an_accessibility_check(tmp_path) -> None:
    """axe-core finds no serious or critical violation (names of controls, contrast, ...), in every
    phase, unfolded and folded; every control is reachable with the Tab key."""
    from a11y import axe_violations
    from selenium.webdriver.common.by import By

    three = record(LinearRegression(w=1.0, b=0.0), ([1, 2, 3], [3, 5, 7]), "gd", lr=0.1, epochs=20)
    folded = record(LinearRegression(), load_csv("examples/data/study_hours.csv"), "gd", lr=0.0002, epochs=3)
    for name, rec in (("three", three), ("folded", folded)):
        page = write_replay(rec, tmp_path / name)
        with chromium(1366, 768) as driver:
            driver.get(page.as_uri())
            for _ in range(3 if name == "three" else 1):
                assert axe_violations(driver) == []
                driver.find_element(By.ID, "next").click()
            reached = set()
            for _ in range(40):
                driver.switch_to.active_element.send_keys("\t")
                reached.add(driver.switch_to.active_element.get_attribute("id"))
            controls = {"first", "prev-step", "prev", "play", "next", "next-step", "last", "speed", "scrub",
                        "zoom-out", "zoom-fit", "zoom-in"}
            assert controls <= reached, controls - reached


def test_every_rules_update_is_written_out_on_the_page_as_python_writes_it(tmp_path) -> None:
    """Momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW and Newton: the page's script fills the
    rule's formula with the step's numbers exactly as viz.recording.update_lines does (whose
    numbers test_replay_rules.py checks against each rule worked out in numpy); a standardized
    run says what it trained on, and the red arrow is the rule's step, not -lr * grad."""
    from selenium.webdriver.common.by import By

    from tinygrad_lr.optim import make_optimizer
    from tinygrad_lr.viz.recording import update_lines

    three = ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0])
    runs = [
        ("momentum", 0.01, {"momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1}),
        ("nesterov", 0.01, {"momentum": 0.9}),
        ("adagrad", 0.1, {"lr_decay": 0.1}),
        ("rmsprop", 0.01, {"momentum": 0.5, "centered": True}),
        ("adam", 0.1, {"weight_decay": 0.1, "amsgrad": True}),
        ("adamw", 0.1, {"weight_decay": 0.1}),
        ("adam", 1e-7, {}),  # a step too small for 6 digits: the page shows the digits that change
        ("newton", 1.0, {}),
    ]
    with chromium(1366, 768) as driver:
        for i, (name, lr, options) in enumerate(runs):
            model = LinearRegression(w=1.0, b=0.0)
            opt = make_optimizer(name, model.parameters(), lr, **options)
            rec = record(model, three, opt, loss="sse", epochs=3)
            page = write_replay(rec, tmp_path / f"{name}{i}")
            driver.get(page.as_uri())
            driver.find_element(By.ID, "next").click()
            driver.find_element(By.ID, "next").click()  # the update phase; the slider keeps it
            for k in range(rec.updates):
                scrub(driver, k + 1)
                m = moment(driver)
                assert (m["update"], m["phase"]) == (k + 1, "update")
                shown = driver.execute_script("return document.getElementById('phase-update').textContent")
                assert shown == "update: " + "\n        ".join(update_lines(rec, k)), (name, options, k)
            legend = driver.find_element(By.ID, "landscape-legend").get_attribute("textContent")
            step = rec.after[-1] - rec.before[-1]
            assert f"after - before = ({fmt(step[0])}, {fmt(step[1])})" in legend
            assert console_errors(driver) == []
        study = load_csv("examples/data/study_hours.csv")
        rec = record(LinearRegression(), study, "gd", lr=0.1, epochs=3, standardize=True)
        driver.get(write_replay(rec, tmp_path / "standardized").as_uri())
        notes = driver.find_element(By.ID, "notes").get_attribute("textContent")
        s = rec.standardizer
        assert f"z_x = (x - {s.mean[0]:.6g}) / {s.std[0]:.6g}" in notes
        assert console_errors(driver) == []


def test_a_long_runs_page_steps_over_the_kept_updates_and_never_shows_a_missing_one(
    tmp_path, monkeypatch
) -> None:
    """A run too long for every update's numbers (the budget made small): the buttons and the
    slider go from kept update to kept update, the panels show the kept updates' own doubles, an
    update that was not kept is never shown as if it were, and one without a graph says so."""
    from replay_numbers import page_data, sgd_recording
    from selenium.webdriver.common.by import By

    import tinygrad_lr.replay.budget as budget

    rec = sgd_recording(20_000)
    monkeypatch.setattr(budget, "NUMBERS_BUDGET", 200_000)
    page = write_replay(rec, tmp_path / "replay")
    data = page_data(page)
    spans = data["numbers"]["spans"]
    assert len(spans) > 3 and data["kept_note"]
    frames = set(data["frames"]["updates"])
    # two kept blocks with a gap between, the first's last update without a graph
    i = next(i for i in range(1, len(spans) - 1) if spans[i][1] - 1 not in frames)
    b, c = spans[i][1], spans[i + 1][0]
    assert b < c
    with chromium() as driver:
        driver.get(page.as_uri())
        assert data["kept_note"] in driver.find_element(By.ID, "notes").text
        scrub(driver, b - 1 + 1)  # the last update of a block (1-based on the slider)
        m = moment(driver)
        assert m["update"] == b and m["text"] == dict(zip("wb", rec.before[b - 1]))
        assert m["graph"] == {} and m["note"].startswith(f"No graph frame for update {b}:")
        driver.find_element(By.ID, "next-step").click()  # next update: the next kept one
        m = moment(driver)
        assert m["update"] == c + 1 and m["text"] == dict(zip("wb", rec.before[c]))
        assert m["phases"][0].endswith(f"L = MSE = {fmt(rec.losses[c])}")
        driver.find_element(By.ID, "prev").click()  # one phase back: the last phase of the update before
        m = moment(driver)
        assert m["update"] == b and m["phase"] == "update" and m["text"] == dict(zip("wb", rec.after[b - 1]))
        gap = (b + c) // 2  # 0-based, not kept: the slider shows the nearest kept update, and says so
        scrub(driver, gap + 1)
        m = moment(driver)
        near = b - 1 if gap - (b - 1) <= c - gap else c
        assert m["update"] == near + 1 and m["phase"] == "update"  # the slider keeps the phase
        assert m["text"] == dict(zip("wb", rec.after[near]))
        counter = driver.find_element(By.ID, "counter").text
        assert f"(update {gap + 1} is not kept on this page: the nearest kept one)" in counter
        driver.find_element(By.ID, "last").click()
        assert moment(driver)["update"] == 20_000
        assert console_errors(driver) == []
