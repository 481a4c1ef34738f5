"""The docs cannot rot: every page's code runs and prints what the page shows.

How blocks are read (Python with a ```text output after it, doctests, ``$ tinygrad-lr`` sessions,
``bash`` command lines) is described in ``tests/docs_check.py``; each page runs in a fresh
namespace and a fresh temporary folder.
"""

from __future__ import annotations

import pytest
from docs_check import ROOT, check_page, pages, parse_blocks, same_output

PAGES = pages()
_REPORTS: dict = {}  # page -> Report: each page runs once per session, however many tests read it
_WORKDIRS: dict = {}  # page -> the folder it ran in (its pictures are in docs/images/ there)


@pytest.fixture
def report_of(tmp_path_factory):
    def run(page):
        if page not in _REPORTS:
            _WORKDIRS[page] = tmp_path_factory.mktemp(page.stem)
            _REPORTS[page] = check_page(page, _WORKDIRS[page])
        return _REPORTS[page]

    return run


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_page_code_runs_and_prints_what_the_page_shows(page, report_of):
    report = report_of(page)
    assert not report.failures, "\n\n".join(report.failures)


def test_the_pages_with_worked_output_are_really_checked(report_of):
    """A parsing slip must not turn the test into a no-op: the pages that show output compare it."""
    checked = {}
    for name in ("README.md", "docs/gradcheck.md", "docs/training.md", "docs/tutorial.md", "docs/cli.md"):
        report = report_of(ROOT / name)
        checked[name] = report.outputs_compared + report.doctest_examples + report.commands_run
    assert checked["docs/gradcheck.md"] >= 5  # 3 commands and 2 Python outputs
    assert checked["docs/training.md"] >= 10  # its doctest examples
    assert checked["docs/cli.md"] >= 20  # every sub-command's help, runs and errors
    assert all(n > 0 for n in checked.values()), checked


def test_every_picture_a_page_draws_is_the_one_it_embeds(report_of):
    """A page's code writes its pictures into docs/images/; the committed files must be what that
    code draws today (regenerate with ``python tests/docs_check.py PAGE``)."""
    from figures import misdrawn_edges, picture_difference

    compared, differences = [], []
    for page in PAGES:
        report_of(page)
        images = _WORKDIRS[page] / "docs" / "images"
        for fresh in sorted(p for p in images.rglob("*") if p.suffix in (".png", ".svg")):
            rel = fresh.relative_to(images)
            committed = ROOT / "docs" / "images" / rel
            embedded = f"images/{rel.as_posix()}" in page.read_text() or f"docs/images/{rel.as_posix()}" in (
                ROOT / "README.md"
            ).read_text()
            if not committed.exists():
                if embedded:
                    differences.append(f"{page.name} draws docs/images/{rel} but it is not committed")
                continue
            compared.append(rel.as_posix())
            if fresh.suffix == ".svg":
                differences += [f"{page.name}: {rel}: {m}" for m in misdrawn_edges(fresh.read_text())]
            problem = picture_difference(committed, fresh)
            if problem:
                differences.append(f"{page.name}: {problem}")
    assert {"tutorial_fit.png", "optimizers_learning_rates.png"} <= set(compared), compared
    assert not differences, "\n".join(differences)


def test_parser_pairs_code_with_the_output_block_right_after_it():
    text = "```python\nprint(1)\n```\n\n```text\n1\n```\nprose\n```text\n$ tinygrad-lr --version\n```\n"
    blocks = parse_blocks(text)
    assert [b.lang for b in blocks] == ["python", "text", "text"]
    assert blocks[1].before.strip() == "" and blocks[2].before.strip() == "prose"


def test_api_page_names_every_public_name():
    import tinygrad_lr
    from tinygrad_lr import plot

    text = (ROOT / "docs" / "api.md").read_text()
    names = [n for n in [*tinygrad_lr.__all__, *plot.__all__] if n != "__version__"]
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/api.md does not describe {missing}"



def test_every_page_is_linked_from_the_index_and_every_local_link_resolves():
    import re

    index = (ROOT / "docs" / "README.md").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name != "README.md":
            assert f"({page.name})" in index, f"docs/README.md does not link {page.name}"
    for page in pages():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_nothing_a_reader_sees_points_outside_the_repository():
    """The tutorials' digest is docs/sources.md; no page, example, notebook or --help may send a
    reader to a file the repository does not contain (../shared/, SOURCE.md)."""
    seen = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "benchmarks").rglob("*.md")]
    for folder, pattern in (("examples", "*.py"), ("notebooks", "*.ipynb"), ("tinygrad_lr", "*.py"),
                            ("benchmarks", "*.py"), ("tools", "*.py")):
        seen += sorted((ROOT / folder).rglob(pattern))
    seen = [p for p in seen if not any(part.startswith(".env") for part in p.relative_to(ROOT).parts)]
    assert len(seen) > 30  # (benchmarks/.env*, the benchmarks' own virtual environment, is not ours)
    outside = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in seen
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "SOURCE.md" in line or "shared/" in line
    ]
    assert not outside, "point to docs/sources.md instead:\n" + "\n".join(outside)


def test_printed_numbers_may_differ_only_in_their_last_digits() -> None:
    # what two OpenBLAS kernels print for the same least-squares solve
    page = "closed form: w = 1.9999999999999991, b = 1.0000000000000009, loss 3.9e-30"
    other = "closed form: w = 1.999999999999999, b = 1.000000000000001, loss 3.9e-30"
    assert same_output(page, other)
    assert not same_output("loss 12.9612", "loss 12.9613")  # a real change still fails
    assert not same_output("w = 1.4, b = 0.18", "w = 1.4, c = 0.18")  # so does a changed word
    assert not same_output("w = 1.4", "w = 1.4 1.5")  # and an extra number


def test_the_picture_comparison_sees_a_highlight_on_the_wrong_edge(tmp_path) -> None:
    """Same texts, same size, every number right, but the red line drawn along another edge (how
    docs/images/tutorial_last_step.svg went stale): the comparison must fail, and name the edge."""
    import re

    from figures import misdrawn_edges, picture_difference

    from tinygrad_lr import Value, save_graph
    from tinygrad_lr.viz import walkthrough_frames

    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    loss = (w * Value(2.0, label="x1") + b - Value(5.0, label="y1")) ** 2
    loss.backward()
    fresh = save_graph(walkthrough_frames(loss)[-1], tmp_path / "fresh.svg")
    svg = fresh.read_text()
    assert not misdrawn_edges(svg)
    edges = re.findall(r'(<g id="edge\d+" class="edge">.*?</g>)', svg, re.S)
    hot = next(e for e in edges if "#d50000" in e)
    cold = next(e for e in edges if "#d50000" not in e)
    path = re.compile(r' d="[^"]*"')
    hot_d, cold_d = path.search(hot).group(0), path.search(cold).group(0)
    swapped = svg.replace(hot, hot.replace(hot_d, cold_d)).replace(cold, cold.replace(cold_d, hot_d))
    (tmp_path / "stale.svg").write_text(swapped)
    problem = picture_difference(tmp_path / "stale.svg", fresh)
    assert problem is not None and "placed differently" in problem, problem
    assert misdrawn_edges(swapped)
    recoloured = svg.replace("#d50000", "#424242")
    (tmp_path / "recoloured.svg").write_text(recoloured)
    problem = picture_difference(tmp_path / "recoloured.svg", fresh)
    assert problem is not None and "highlighted" in problem, problem


def test_the_compile_pages_picture_names_what_its_code_computes() -> None:
    """docs/compile.md's picture and the compiled code beside it agree line by line: every ``tK``
    and ``L`` of the code is a node of the picture with the same formula (it once read
    ``L = t4 + t8 + t13`` and ``t3 = t2 - y1`` beside ``L = t9 + t13`` and ``t3 = t2 - 3.0``)."""
    import re

    from svg_helpers import picture_titles

    from tinygrad_lr import GD, Value, draw_graph, sse
    from tinygrad_lr.compile import compile_step
    from tinygrad_lr.graph import topological_order

    xs, ys = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    step = compile_step(lambda: sse([w * x + b for x in xs], ys), GD([w, b], lr=0.01))
    step()
    code = dict(re.findall(r"^\s+(t\d+|L) = (.+)$", step.source.split("# backward")[0], re.M))
    page = (ROOT / "docs" / "compile.md").read_text()
    block = page[page.index("w0, b0 = Value(1.0"):]
    block = block[: block.index("save_graph(")]
    namespace = {"Value": Value, "sse": sse, "topological_order": topological_order, "xs": xs, "ys": ys}
    exec(block, namespace)  # the page's own naming code
    titles = picture_titles(draw_graph(namespace["L"]))

    def same(formula: str) -> str:
        return re.sub(r"\s+|\.0\b", "", formula).replace("**2", "^2")

    assert set(code) <= set(titles), sorted(set(code) - set(titles))
    for name, formula in code.items():
        assert same(titles[name]) == same(formula), (name, titles[name], formula)
