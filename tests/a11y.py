"""An automated accessibility check of a page in the browser tests: axe-core, run inside the page.

axe-core comes from npm and is installed for the tests by ``bash .ci/setup.sh test`` into
``.venv/node/`` (never fetched from a CDN: the page under test stays offline). Without it the
check is skipped, saying how to install it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE = Path(os.environ.get("AXE_CORE_JS", ROOT / ".venv/node/node_modules/axe-core/axe.min.js"))
INSTALL = "npm install --prefix .venv/node axe-core@4 (bash .ci/setup.sh test does it)"


def axe_violations(driver: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """The page's axe-core violations of these impacts, one line each: rule, impact, where."""
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed for the tests: {INSTALL}")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(done, function (e) { done({error: String(e)}); });"
    )
    assert "error" not in result, result
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -- {node['target']}: {node.get('failureSummary', '')}"
        for v in result["violations"]
        if v["impact"] in impacts
        for node in v["nodes"]
    ]
