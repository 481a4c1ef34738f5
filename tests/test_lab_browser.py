"""The live lab in a real headless Chromium: drag, click and type, and check every number the page
shows (kept at full precision in its data attributes) against the public API computed here
(tests/lab_twin.py), to 1e-12, on the Value and the Tensor engine, for GD, SGD and Adam."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, console_errors
from lab_twin import CliLab, Twin, check_page, shown, wait_idle
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tinygrad_lr.compare import allclose, assert_close

DOCS_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


@pytest.fixture(scope="module")
def lab() -> Iterator[CliLab]:
    server = CliLab()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with chromium(1366, 900) as d:
        yield d


def open_lab(driver: Any, lab: Any, fragment: str = "") -> None:
    driver.get(lab.url(fragment))
    end = time.monotonic() + 30
    while not driver.execute_script("return document.body.getAttribute('data-ready')"):
        assert time.monotonic() < end, "the lab page did not start"
        time.sleep(0.05)
    wait_idle(driver)


def center(driver: Any, element: Any) -> Any:
    """Scroll ``element`` to the middle of the window (clear of the sticky toolbar)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    return element


def click(driver: Any, css: str) -> None:
    center(driver, driver.find_element(By.CSS_SELECTOR, css)).click()


def type_into(driver: Any, css: str, text: str) -> None:
    box = center(driver, driver.find_element(By.CSS_SELECTOR, css))
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(text, Keys.TAB)  # leaving the box is the change
    wait_idle(driver)


def node_named(driver: Any, name: str) -> Any:
    for g in driver.find_elements(By.CSS_SELECTOR, "#graph .template:not([hidden]) g.node[data-nid]"):
        if g.get_attribute("data-name") == name:
            return center(driver, g)
    raise AssertionError(f"no graph node named {name}")


def drag(driver: Any, element: Any, dx: int, dy: int) -> None:
    center(driver, element)
    ActionChains(driver).click_and_hold(element).move_by_offset(dx // 2, dy // 2).pause(0.1).move_by_offset(
        dx - dx // 2, dy - dy // 2
    ).pause(0.1).release().perform()
    wait_idle(driver)


def test_value_engine_gd_sgd_adam_by_hand(driver, lab):
    open_lab(driver, lab)
    twin = Twin([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], 1.0, 0.0)
    page = check_page(driver, twin)
    keys = page["keys"]  # the worked example's first step, by hand
    assert (keys["loss"], keys["grad.w"], keys["grad.b"]) == (29.0, -40.0, -18.0)
    click(driver, "#step")
    twin.step()
    page = check_page(driver, twin)
    assert_close(page["keys"]["loss"], 12.9612, rtol=0.0, atol=1e-12)
    assert_close((twin.params[0], twin.params[1]), (1.4, 0.18), rtol=0.0, atol=1e-15)

    node_named(driver, "b").click()  # the chain rule of b
    page = check_page(driver, twin)
    assert page["chain"]["caption"].startswith("dL/db = ")

    drag(driver, driver.find_element(By.CSS_SELECTOR, "#landscape-svg circle.now"), 40, -30)
    w, b = shown(driver)["now"]
    assert not allclose((w, b), twin.params, rtol=1e-6, atol=1e-12)
    twin.start(w, b)
    check_page(driver, twin)

    type_into(driver, "#lr-input", "0.02")
    twin.lr = twin.opt.lr = 0.02
    type_into(driver, "#w-input", "0.5")
    type_into(driver, "#b-input", "0.25")
    twin.start(0.5, 0.25)
    check_page(driver, twin)

    point = driver.find_elements(By.CSS_SELECTOR, "#data-svg circle.point")[1]
    drag(driver, point, 0, -40)  # move point 2 up
    page = shown(driver)
    twin.x, twin.y = page["x"], page["y"]
    assert twin.y[1] > 5.0
    twin.start(*twin.params)
    check_page(driver, twin)

    frame = center(driver, driver.find_element(By.CSS_SELECTOR, "#data-svg"))
    ActionChains(driver).move_to_element_with_offset(frame, 60, -40).click().perform()  # add a point
    page = shown(driver)
    assert len(page["x"]) == 4
    twin.x, twin.y = page["x"], page["y"]
    twin.start(*twin.params)
    check_page(driver, twin)

    click(driver, "input[name=batching][value=sgd]")
    twin.batching, twin.pos = "sgd", 0
    twin.new_optimizer()
    check_page(driver, twin)
    for _ in range(5):  # one sample per update, in order, into a second epoch
        click(driver, "#step")
        twin.step()
    check_page(driver, twin)

    Select(center(driver, driver.find_element(By.CSS_SELECTOR, "#optimizer"))).select_by_value("adam")
    twin.rule, twin.lr = "adam", 0.001
    twin.new_optimizer()
    for _ in range(3):
        click(driver, "#step")
        twin.step()
    check_page(driver, twin)
    assert console_errors(driver) == []


def test_tensor_engine_gd_sgd_adam(driver, lab):
    open_lab(driver, lab)
    Select(center(driver, driver.find_element(By.CSS_SELECTOR, "#engine"))).select_by_value("tensor")
    twin = Twin([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], 1.0, 0.0, engine="tensor")
    page = check_page(driver, twin)
    assert any(isinstance(n["data"], list) for n in page["nodes"].values())  # arrays, in full
    for _ in range(2):
        click(driver, "#step")
        twin.step()
    check_page(driver, twin)
    click(driver, "input[name=batching][value=sgd]")
    twin.batching, twin.pos = "sgd", 0
    twin.new_optimizer()
    for _ in range(4):
        click(driver, "#step")
        twin.step()
    check_page(driver, twin)
    Select(center(driver, driver.find_element(By.CSS_SELECTOR, "#optimizer"))).select_by_value("adam")
    twin.rule, twin.lr = "adam", 0.001
    twin.new_optimizer()
    type_into(driver, "#lr-input", "0.1")
    twin.opt.lr = twin.lr = 0.1
    for _ in range(3):
        click(driver, "#step")
        twin.step()
    check_page(driver, twin)
    node_named(driver, "w").click()
    check_page(driver, twin)
    assert console_errors(driver) == []


def test_undo_reset_and_run_pause(driver, lab):
    open_lab(driver, lab)
    twin = Twin([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], 1.0, 0.0)
    click(driver, "#run")
    time.sleep(1.0)
    click(driver, "#run")  # pause
    wait_idle(driver)
    update = shown(driver)["path"]
    assert len(update) > 2
    for _ in range(len(update) - 1):
        twin.step()
    check_page(driver, twin)
    click(driver, "#undo")
    twin = Twin([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], 1.0, 0.0)
    for _ in range(len(update) - 2):
        twin.step()
    check_page(driver, twin)
    click(driver, "#reset")
    check_page(driver, Twin([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], 1.0, 0.0))


def test_engine_errors_appear_as_the_cli_says_them_and_the_lab_goes_on(driver, lab):
    open_lab(driver, lab)
    type_into(driver, "#lr-input", "0.07")  # above the stable limit 0.0601
    for _ in range(8):
        click(driver, "#step")
        wait_idle(driver)
    warning = driver.find_element(By.CSS_SELECTOR, "#warning")
    assert warning.is_displayed()
    assert warning.text.startswith("training diverged at update ")
    assert "with learning rate 0.07: the loss grew for 5 updates in a row" in warning.text
    assert "stable only for lr < 0.0600983" in warning.text
    type_into(driver, "#lr-input", "1e200")
    error = driver.find_element(By.CSS_SELECTOR, "#error")
    assert error.text == "the learning rate must be between 0 and 1e+12, got 1e+200"
    type_into(driver, "#lr-input", "1e11")  # steps that end in an overflow: that one is refused
    for _ in range(30):
        click(driver, "#step")
        wait_idle(driver)
        if error.is_displayed():
            break
    assert error.text.startswith("training diverged at update ")
    assert "the numbers overflowed" in error.text or "inf" in error.text
    before = shown(driver)["path"]
    click(driver, "#step")  # refused again: the state stays
    assert shown(driver)["path"] == before
    type_into(driver, "#lr-input", "0.01")
    click(driver, "#step")
    wait_idle(driver)
    assert not driver.find_element(By.CSS_SELECTOR, "#error").is_displayed()
    type_into(driver, "#w-input", "nan")
    error = driver.find_element(By.CSS_SELECTOR, "#error")
    assert error.is_displayed() and "w must be a number" in error.text


def test_a_bad_csv_shows_the_loaders_words_on_the_page(driver, lab, tmp_path):
    open_lab(driver, lab)
    bad = tmp_path / "points.csv"
    bad.write_text("x,y\n1,2\n3,abc\n")
    driver.find_element(By.CSS_SELECTOR, "#csv-file").send_keys(str(bad))
    click(driver, "#csv-form button")
    wait_idle(driver)
    error = driver.find_element(By.CSS_SELECTOR, "#error")
    assert error.text == "points.csv, line 3, column 2 (y): 'abc' is not a number"
    good = tmp_path / "good.csv"
    good.write_text("size,price\n1,2\n2,4.5\n4,8\n")
    driver.find_element(By.CSS_SELECTOR, "#csv-file").send_keys(str(good))
    click(driver, "#csv-form button")
    page = shown(driver)
    assert page["x"] == [1.0, 2.0, 4.0] and page["y"] == [2.0, 4.5, 8.0]
    check_page(driver, Twin([1.0, 2.0, 4.0], [2.0, 4.5, 8.0], 1.0, 0.0))


def test_the_address_holds_the_situation(driver, lab):
    open_lab(driver, lab)
    click(driver, "input[name=batching][value=sgd]")
    for _ in range(4):
        click(driver, "#step")
    wait_idle(driver)
    node_named(driver, "b").click()
    before = shown(driver)
    link = driver.current_url
    assert "#s=" in link and "&node=" in link and lab.token in link.split("#")[0]
    driver.get("about:blank")
    driver.get(link)
    time.sleep(0.2)
    wait_idle(driver)
    after = shown(driver)
    assert after["keys"] == before["keys"] and after["nodes"] == before["nodes"]
    assert after["path"] == before["path"]
    assert after["chain"] == before["chain"]


def test_two_tabs_have_their_own_lab(driver, lab):
    open_lab(driver, lab)
    first = driver.current_window_handle
    driver.switch_to.new_window("tab")
    open_lab(driver, lab)
    for _ in range(3):
        click(driver, "#step")
    wait_idle(driver)
    assert len(shown(driver)["path"]) == 4
    driver.close()
    driver.switch_to.window(first)
    click(driver, "#step")
    assert len(shown(driver)["path"]) == 2


def test_the_page_reads_well_wide_and_narrow_and_makes_the_docs_screenshots(lab, tmp_path):
    """Screenshots at 1366x768 and 420 px wide; with UPDATE_DOCS_SCREENSHOTS=1 they replace the
    ones docs/lab.md and the README show."""
    out = DOCS_IMAGES if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1" else tmp_path
    for width, height, name in ((1366, 768, "lab.png"), (420, 900, "lab_narrow.png")):
        with chromium(max(width, 500), height) as d:
            metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500}
            d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)  # a window is >= 500 px
            open_lab(d, lab)
            for _ in range(3):
                click(d, "#step")
            wait_idle(d)
            node_named(d, "w").click()
            wide, inner = d.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
            assert inner == width and wide <= width, f"the page is {wide} px wide in a {inner} px window"
            page = shown(d)
            assert len(page["path"]) == 4 and page["nodes"]
            d.execute_script("window.scrollTo(0, 0)")
            d.save_screenshot(str(out / name))
            if width > 500:  # the plots, further down
                d.execute_script("document.getElementById('chain-panel').scrollIntoView()")
                d.save_screenshot(str(out / "lab_panels.png"))
            assert console_errors(d) == []
        assert (out / name).stat().st_size > 20_000  # a page with its pictures, not a blank one


def test_axe_finds_no_serious_accessibility_violation(driver, lab):
    from a11y import axe_violations

    open_lab(driver, lab)
    click(driver, "#step")
    wait_idle(driver)
    node_named(driver, "w").click()
    assert axe_violations(driver) == []
    click(driver, "input[name=batching][value=minibatch]")  # other controls shown
    Select(center(driver, driver.find_element(By.CSS_SELECTOR, "#optimizer"))).select_by_value("adam")
    wait_idle(driver)
    assert axe_violations(driver) == []


@pytest.mark.parametrize(("optimizer", "k"), [("gd", 4), ("sgd", 5)])
def test_a_replay_page_continues_any_update_in_the_lab(driver, lab, tmp_path, optimizer, k):
    from tinygrad_lr import LinearRegression
    from tinygrad_lr.replay import record, write_replay

    rec = record(LinearRegression(w=1.0, b=0.0), ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0]), optimizer,
                 lr=0.01, loss="sse", epochs=8)  # fmt: skip
    page = write_replay(rec, tmp_path / "replay")
    driver.get(page.as_uri())
    driver.execute_script(
        "const s = document.getElementById('scrub'); s.value = arguments[0];"
        "s.dispatchEvent(new Event('input'));",
        k + 1,
    )
    click(driver, "#to-lab")
    link = driver.find_element(By.CSS_SELECTOR, "#lab-code").get_attribute("value")
    assert link.startswith("#s=")
    open_lab(driver, lab, link[1:])
    twin = Twin([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], 1.0, 0.0)
    if optimizer == "sgd":
        twin.batching = "sgd"
        twin.new_optimizer()
    for _ in range(k):
        twin.step()
    page_numbers = check_page(driver, twin)  # the lab is at update k: before it, its path so far
    assert [p[:2] for p in page_numbers["path"]] == rec.before[: k + 1].tolist()
    click(driver, "#step")  # and its next update is the recording's
    assert_close(shown(driver)["now"], rec.after[k].tolist(), rtol=0.0, atol=1e-12)


@pytest.mark.parametrize("where", ["with detail, the whole path", "without detail, past what the lab holds"])
def test_a_long_replay_continues_in_the_lab_from_updates_with_and_without_detail(
    driver, lab, tmp_path, monkeypatch, where
):
    """6000 SGD updates, more than a lab run holds (5000) and, with the budget made small, more
    than the page keeps: update 4 (a graph frame) goes on with its whole path; a kept update far
    on without a graph goes on as a new run from its parameters; both next steps are the record's."""
    from replay_numbers import page_data

    import tinygrad_lr.replay.budget as budget
    from tinygrad_lr import LinearRegression
    from tinygrad_lr.replay import record, write_replay

    rec = record(LinearRegression(w=1.0, b=0.0), ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0]), "sgd",
                 lr=0.01, loss="sse", epochs=2000)  # fmt: skip
    monkeypatch.setattr(budget, "NUMBERS_BUDGET", 100_000)
    page = write_replay(rec, tmp_path / "replay")
    data = page_data(page)
    spans, frames = data["numbers"]["spans"], data["frames"]["updates"]
    assert data["kept_note"] and spans[0][1] < 5000
    if where.startswith("with detail"):
        k = 4
        assert k in frames
    else:
        k = next(a + 1 for a, b in spans if a > 5000 and a + 1 < b and a + 1 not in frames)
    driver.get(page.as_uri())
    driver.execute_script(
        "const s = document.getElementById('scrub'); s.value = arguments[0];"
        "s.dispatchEvent(new Event('input'));",
        k + 1,
    )
    assert driver.execute_script("return document.body.dataset.update") == str(k + 1)
    click(driver, "#to-lab")
    told = driver.find_element(By.CSS_SELECTOR, "#lab-update").text
    assert ("as a new run" in told) is (k > 5000)
    link = driver.find_element(By.CSS_SELECTOR, "#lab-code").get_attribute("value")
    open_lab(driver, lab, link[1:])
    page_numbers = shown(driver)
    assert [p[:2] for p in page_numbers["path"]] == (
        rec.before[: k + 1] if k < 5000 else rec.before[k : k + 1]
    ).tolist()
    click(driver, "#step")  # its next update is the recording's
    assert_close(shown(driver)["now"], rec.after[k].tolist(), rtol=0.0, atol=1e-12)
