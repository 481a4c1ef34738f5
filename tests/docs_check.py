"""Run the code shown in the Markdown docs and check it prints what the docs say it prints.

One mechanism for every page (``README.md`` and ``docs/*.md``), used by ``tests/test_docs.py``.
A page is read as its fenced blocks, in order, and each kind of block is handled so:

* ```` ```python ```` -- executed, all blocks of one page in one fresh namespace, in order (so
  a later block may use what an earlier one defined). If the block is followed *directly* (only
  blank lines between) by a ```` ```text ```` block, that block is the expected output: what
  the code prints must equal it (unless it is a ``$ tinygrad-lr`` session, below): the same
  text, except that a number may differ in its last digits (relative 1e-12, see
  :func:`same_output`), because BLAS kernels round differently on different processors.
* ```` ```python ```` written as a doctest (lines starting with ``>>>``) -- run with
  :mod:`doctest` in the same namespace; each ``>>>`` line's result is compared with the lines
  below it (whitespace differences ignored).
* ```` ```text ```` (or ```` ```console ````) starting with ``$ tinygrad-lr`` and not already the
  output of a Python block -- a terminal session: every ``$ tinygrad-lr ...`` line is run through
  :func:`tinygrad_lr.cli.main` and the lines below it, up to the next ``$``, must equal what it
  printed (stdout, then stderr). A command ending in ``; echo $?`` also prints its exit status.
* ```` ```bash ```` -- lines ``tinygrad-lr ...`` are parsed by the real argument parser (so a
  renamed option breaks the test), not run: they may write files or take long.

A block preceded by the comment ``<!-- docs-test: skip -->`` is left alone (say why next to it).
A page holding the comment ``<!-- docs-test: every block runs alone -->`` (the README, whose
blocks a reader copies one at a time) runs each Python block in a fresh namespace and a fresh
folder of its own instead, so a block that leans on an earlier one fails.

Pictures: code that writes into ``docs/images/`` writes into the working directory's copy of it;
code that writes a picture next to the user (``save_graph(..., "graph.svg")``, as the README's
quick start does) writes into the working directory itself. :func:`written_pictures` finds both
and pairs each with the committed ``docs/images/`` file of the same name that the page embeds.
Everything runs in the working directory given (a temporary folder in the tests) with
matplotlib's Agg backend; ``examples/`` is linked into it so the pages can use the shipped data,
and ``docs/images/`` exists in it, so code that writes the docs' pictures writes them there.

Run as a script to execute pages with the repository's real ``docs/images/`` (other files go to
a temporary folder) -- this is how the pictures a page's code writes are regenerated::

    python tests/docs_check.py docs/tutorial.md
"""

from __future__ import annotations

import argparse
import contextlib
import doctest
import io
import os
import re
import shlex
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
_SKIP = "<!-- docs-test: skip"
_ALONE = "<!-- docs-test: every block runs alone -->"
_PICTURES = (".png", ".svg", ".gif")
_SHELL_LANGS = ("text", "console")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
NUMBER_RTOL = 1e-12  # a last-digit difference between BLAS kernels; a changed result is far larger


def same_output(expected: str, got: str) -> bool:
    """``got`` is ``expected``, the words exactly and each number to ``NUMBER_RTOL`` relative.

    ``np.linalg.lstsq`` or ``x @ w`` may give ``1.9999999999999991`` on one processor and
    ``1.999999999999999`` on another (OpenBLAS picks its kernel at run time); the docs must hold
    on both, and a real change (``12.9612`` -> ``12.9613``) must still fail.
    """
    if expected == got:
        return True
    words_e, words_g = _NUMBER.split(expected), _NUMBER.split(got)
    nums_e, nums_g = _NUMBER.findall(expected), _NUMBER.findall(got)
    if words_e != words_g or len(nums_e) != len(nums_g):
        return False
    for a, b in zip(nums_e, nums_g):
        if a != b and abs(float(a) - float(b)) > NUMBER_RTOL * max(abs(float(a)), abs(float(b))):
            return False
    return True


def pages() -> list[Path]:
    """Every page the docs test covers: the README and each ``docs/*.md``."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass
class Block:
    lang: str
    body: str
    line: int  # 1-based line of the opening fence
    before: str  # the page text between the previous block and this one
    skip: bool = False


@dataclass
class Report:
    """What was checked on one page (for the test's sanity assertions)."""

    python_blocks: int = 0
    outputs_compared: int = 0
    doctest_examples: int = 0
    commands_run: int = 0
    commands_parsed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)


def parse_blocks(text: str) -> list[Block]:
    blocks = []
    end = 0
    for m in _FENCE.finditer(text):
        before = text[end : m.start()]
        line = text.count("\n", 0, m.start()) + 1
        blocks.append(Block(m.group(1).lower(), m.group(2), line, before, _SKIP in before))
        end = m.end()
    return blocks


def _is_session(block: Block) -> bool:
    return block.lang in _SHELL_LANGS and block.body.startswith("$ tinygrad-lr")


def run_cli(command: str) -> str:
    """Run one ``tinygrad-lr ...`` command line in-process; return stdout then stderr."""
    from tinygrad_lr.cli import main

    echo_status = False
    if command.rstrip().endswith("; echo $?"):
        command, echo_status = command.rstrip()[: -len("; echo $?")], True
    argv = shlex.split(command)
    assert argv[0] == "tinygrad-lr", command
    out, err = io.StringIO(), io.StringIO()
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"  # argparse wraps --help to the terminal's width; the docs show 80
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(argv[1:])
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        status = exc.code if isinstance(exc.code, int) else 1
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    text = out.getvalue() + err.getvalue()
    if echo_status:
        text += f"{status}\n"
    return text


def _session(body: str) -> list[tuple[str, str]]:
    """``[(command, expected output), ...]`` from a terminal session block."""
    steps: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return [(cmd, "".join(f"{ln}\n" for ln in out)) for cmd, out in steps]


def _diff(expected: str, got: str) -> str:
    import difflib

    lines = difflib.unified_diff(
        expected.splitlines(), got.splitlines(), "in the docs", "printed", lineterm="", n=1
    )
    return "\n".join(lines)


def check_page(page: Path, workdir: Path) -> Report:
    """Run every checkable block of ``page`` with ``workdir`` as the current directory."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    (workdir / "docs" / "images").mkdir(parents=True, exist_ok=True)
    examples = workdir / "examples"
    if not examples.exists():
        examples.symlink_to(ROOT / "examples", target_is_directory=True)
    text = page.read_text(encoding="utf-8")
    blocks = parse_blocks(text)
    alone = _ALONE in text
    name = page.relative_to(ROOT).as_posix()
    report = Report()
    namespace: dict[str, object] = {"__name__": "__docs__"}
    outputs: set[int] = set()  # blocks that are the expected output of a Python block
    old_cwd = Path.cwd()
    os.chdir(workdir)
    try:
        for i, block in enumerate(blocks):
            where = f"{name}:{block.line}"
            if block.skip:
                report.skipped += 1
                continue
            if block.lang == "python":
                report.python_blocks += 1
                if alone:  # nothing from an earlier block, and a folder of its own
                    namespace = {"__name__": "__docs__"}
                    os.chdir(_fresh_folder(workdir, i))
                if block.body.lstrip().startswith(">>>"):
                    _run_doctest(block, namespace, where, report)
                    continue
                nxt = blocks[i + 1] if i + 1 < len(blocks) else None
                expected = None
                if (nxt is not None and nxt.lang == "text" and not nxt.before.strip() and not nxt.skip
                        and not _is_session(nxt)):
                    expected = nxt.body
                    outputs.add(i + 1)
                out = io.StringIO()
                try:
                    with contextlib.redirect_stdout(out):
                        exec(compile(block.body, where, "exec"), namespace)
                except Exception as exc:  # report, and go on: later blocks may still be checked
                    report.failures.append(f"{where}: the code raised {type(exc).__name__}: {exc}")
                    continue
                if expected is not None:
                    report.outputs_compared += 1
                    if not same_output(expected, out.getvalue()):
                        diff = _diff(expected, out.getvalue())
                        report.failures.append(f"{where}: the output differs from the docs\n{diff}")
            elif _is_session(block) and i not in outputs:
                for command, expected in _session(block.body):
                    report.commands_run += 1
                    got = run_cli(command)
                    if not same_output(expected, got):
                        diff = _diff(expected, got)
                        report.failures.append(f"{where}: `{command}` printed something else\n{diff}")
            elif block.lang == "bash":
                for line in block.body.splitlines():
                    cmd = line.split("#", 1)[0].strip()
                    if cmd.startswith("tinygrad-lr ") and not any(c in cmd for c in "$|><`"):
                        report.commands_parsed += 1
                        _parse_only(cmd, where, report)
    finally:
        os.chdir(old_cwd)
    return report


def _fresh_folder(workdir: Path, i: int) -> Path:
    """The folder block ``i`` of a page whose blocks run alone runs in: empty but for the
    shipped ``examples/`` (and ``docs/images/``, as every page's folder has)."""
    folder = workdir / f"block{i}"
    (folder / "docs" / "images").mkdir(parents=True, exist_ok=True)
    if not (folder / "examples").exists():
        (folder / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    return folder


def written_pictures(page: Path, workdir: Path) -> dict[str, Path]:
    """``{name under docs/images/: the file the page's code wrote}`` after :func:`check_page`
    ran ``page`` in ``workdir``: every picture written into ``docs/images/``, and every picture
    written next to the user whose name the page embeds from ``docs/images/``."""
    text = page.read_text(encoding="utf-8")
    found: dict[str, Path] = {}
    folders = [workdir, *sorted(workdir.glob("block*"))]
    for folder in folders:
        images = folder / "docs" / "images"
        for f in sorted(images.rglob("*")) if images.exists() else []:
            if f.suffix in _PICTURES:
                found[f.relative_to(images).as_posix()] = f
        for f in sorted(folder.iterdir()):
            embeds = re.search(rf"(?:^|[(/\s])(?:docs/)?images/{re.escape(f.name)}\)", text, re.M)
            if f.suffix in _PICTURES and embeds:
                found[f.name] = f
    return found


def _run_doctest(block: Block, namespace: dict[str, object], where: str, report: Report) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.body, namespace, where, where, 0)
    test.globs = namespace  # share the page's namespace (get_doctest copies it)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=out.write, clear_globs=False)
    report.doctest_examples += len(test.examples)
    if runner.failures:
        report.failures.append(f"{where}: {runner.failures} doctest example(s) failed\n{out.getvalue()}")


def _parse_only(command: str, where: str, report: Report) -> None:
    from tinygrad_lr.cli import build_parser

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(shlex.split(command)[1:])
    except SystemExit as exc:
        if exc.code:
            report.failures.append(f"{where}: `{command}` is not a valid command: {err.getvalue().strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a docs page's code in the repository root.")
    parser.add_argument("pages", nargs="+", type=Path)
    args = parser.parse_args(argv)
    status = 0
    for page in args.pages:
        with tempfile.TemporaryDirectory() as tmp:  # scratch files stay out of the repository
            (Path(tmp) / "docs").mkdir()
            (Path(tmp) / "docs" / "images").symlink_to(ROOT / "docs" / "images", target_is_directory=True)
            report = check_page(page.resolve(), Path(tmp))
            for name, fresh in written_pictures(page.resolve(), Path(tmp)).items():
                target = ROOT / "docs" / "images" / name
                if fresh.resolve() != target.resolve():
                    target.write_bytes(fresh.read_bytes())  # a picture drawn next to the user
        print(f"{page}: {report.python_blocks} Python blocks, {report.outputs_compared} outputs compared, "
              f"{report.doctest_examples} doctest examples, {report.commands_run} commands run")
        for failure in report.failures:
            print(failure)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
