"""The lab in Jupyter, on a real kernel: ``lab()`` displays the lab's page, and the numbers the
widget reads in Python are the numbers the page shows, before and after the learner acts on it."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from browser import chromium
from lab_twin import shown, wait_idle
from selenium.webdriver.common.by import By


def run_cell(client: Any, nb: Any, source: str) -> Any:
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    nb.cells.append(cell)
    client.execute_cell(cell, len(nb.cells) - 1)
    return cell


def printed(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_the_widget_and_the_page_show_the_same_numbers():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    client = NotebookClient(nb, timeout=120, kernel_name="python3")
    with client.setup_kernel():
        shown_cell = run_cell(client, nb, "from tinygrad_lr.lab import lab\nw = lab()\nw")
        html = next(o["data"]["text/html"] for o in shown_cell.outputs if "text/html" in o.get("data", {}))
        url = re.search(r'<iframe src="([^"]+)"', html).group(1).replace("&amp;", "&")
        assert url.startswith("http://127.0.0.1:") and "token=" in url and "session=" in url
        numbers = (
            "import json\nv = w.view()\n"
            "print(json.dumps({k: v[k] for k in ('params', 'loss', 'grad', 'batch_loss', 'update')}))"
        )
        before = json.loads(printed(run_cell(client, nb, numbers)))
        assert before["loss"] == 29.0 and before["grad"] == {"w": -40.0, "b": -18.0}
        with chromium(1366, 900) as d:
            d.get(url)
            end = time.monotonic() + 30
            while not d.execute_script("return document.body.getAttribute('data-ready')"):
                assert time.monotonic() < end
                time.sleep(0.05)
            page = shown(d)
            keys = page["keys"]
            assert keys["loss"] == before["loss"] and keys["batch_loss"] == before["batch_loss"]
            assert (keys["grad.w"], keys["grad.b"]) == (before["grad"]["w"], before["grad"]["b"])
            step = d.find_element(By.ID, "step")
            d.execute_script("arguments[0].scrollIntoView({block: 'center'})", step)
            for _ in range(3):  # the learner acts on the page in the notebook ...
                step.click()
            wait_idle(d)
            page = shown(d)
            after = json.loads(printed(run_cell(client, nb, numbers)))  # ... and Python reads the same state
            assert after["update"] == 3
            p, keys = after["params"], page["keys"]
            assert keys["loss"] == after["loss"] and page["now"] == [p["w"], p["b"]]
            assert (keys["grad.w"], keys["grad.b"]) == (after["grad"]["w"], after["grad"]["b"])
        text = printed(run_cell(client, nb, "print(repr(w))"))
        assert text.startswith("LabWidget(w=") and "update=3" in text


@pytest.mark.parametrize(
    ("call", "words"),
    [("lab('/')", "is a directory, not a CSV file"), ("lab(state='nonsense')", "lab state")],
)
def test_bad_input_to_lab_is_one_clear_error(call, words):
    from tinygrad_lr.lab import LabInputError, lab  # noqa: F401

    with pytest.raises(ValueError, match=words):
        eval(call)
