"""The project runs from a clone anywhere, including a folder named ``tinygrad_lr``.

Every path in such a clone contains the package's name, so code that tells the package's own files
from a learner's by the substring "tinygrad_lr" gets it wrong (a learner's traceback lost its line
numbers there). The package is told by its real location instead; this test copies the working tree
as it is now -- uncommitted changes included -- into a folder named ``tinygrad_lr`` and runs the
tests that read tracebacks and file paths there, with that copy's package imported.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# the tests that look at file names and traceback frames of the learner's code and the grader's
PATH_TESTS = ["tests/test_exercises.py", "tests/test_cli_check.py"]
# what a copy of the working tree leaves out when git cannot say which files are the project's
SKIP = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache"}


def _project_files() -> list[Path]:
    """The working tree's files, relative to ROOT: tracked (as they are now, edits included) and
    new ones not ignored; every file but the caches when this is not a git checkout."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, check=True,
        ).stdout.decode()
        files = [Path(f) for f in listed.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = [
            p.relative_to(ROOT)
            for p in ROOT.rglob("*")
            if p.is_file() and not SKIP & set(p.relative_to(ROOT).parts) and ".egg-info" not in str(p)
        ]
    return [f for f in files if (ROOT / f).is_file()]  # a tracked file deleted in the tree is gone


def test_no_code_tells_its_own_files_by_the_packages_name_in_a_path():
    pattern = re.compile(r"""["']tinygrad_lr["']\s+(not\s+)?in\b""")
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "tinygrad_lr").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, "tell the package by its location (exercises.base.in_package):\n" + "\n".join(found)


def test_a_frame_is_the_packages_by_its_real_location(tmp_path):
    from tinygrad_lr.exercises.base import PACKAGE_DIR, in_package

    learner = tmp_path / "tinygrad_lr" / "tinygrad_lr_exercises" / "ex2.py"
    assert in_package(str(PACKAGE_DIR / "exercises" / "base.py"))
    assert not in_package(str(learner)) and not in_package("<string>")


def test_the_path_tests_pass_in_a_clone_in_a_folder_named_tinygrad_lr(tmp_path):
    clone = tmp_path / "tinygrad_lr"
    for f in _project_files():
        (clone / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, clone / f)
    env = {**os.environ, "PYTHONPATH": str(clone), "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
    imported = subprocess.run(
        [sys.executable, "-c", "import tinygrad_lr; print(tinygrad_lr.__file__)"],
        cwd=clone, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert Path(imported) == clone / "tinygrad_lr" / "__init__.py"  # the copy is what gets tested
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PATH_TESTS],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
