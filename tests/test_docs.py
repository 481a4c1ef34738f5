"""The docs cannot rot: every page's code runs and prints what the page shows.

How blocks are read (Python with a ```text output after it, doctests, ``$ tinygrad-lr`` sessions,
``bash`` command lines) is described in ``tests/docs_check.py``; each page runs in a fresh
namespace and a fresh temporary folder.
"""

from __future__ import annotations

import pytest
from docs_check import ROOT, check_page, pages, parse_blocks, same_output, written_pictures

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
    """A page's code writes its pictures into docs/images/ (or, as the README's quick start, next
    to the user under the name the page embeds from docs/images/); the committed files must be
    what that code draws today (regenerate with ``python tests/docs_check.py PAGE``)."""
    from figures import misdrawn_edges, picture_difference

    compared, differences = [], []
    for page in PAGES:
        report_of(page)
        for rel, fresh in written_pictures(page, _WORKDIRS[page]).items():
            if fresh.suffix == ".gif":
                continue  # an animation: its frames are tested in tests/test_replay.py
            committed = ROOT / "docs" / "images" / rel
            embedded = f"images/{rel}" in page.read_text() or f"docs/images/{rel}" in (
                ROOT / "README.md"
            ).read_text()
            if not committed.exists():
                if embedded:
                    differences.append(f"{page.name} draws docs/images/{rel} but it is not committed")
                continue
            compared.append(rel)
            if fresh.suffix == ".svg":
                differences += [f"{page.name}: {rel}: {m}" for m in misdrawn_edges(fresh.read_text())]
            problem = picture_difference(committed, fresh)
            if problem:
                differences.append(f"{page.name}: {problem}")
    expected = {"tutorial_fit.png", "optimizers_learning_rates.png", "quick_start_graph.svg"}
    assert expected <= set(compared), compared
    assert not differences, "\n".join(differences)


def test_the_readme_writes_nothing_into_the_docs_and_each_block_runs_alone(report_of):
    """The quick start is copied by readers into a folder of their own: it must not need the
    clone's docs/images/ (nor overwrite a committed picture inside a clone), and no block may
    lean on a variable of an earlier one."""
    import re

    page = ROOT / "README.md"
    report = report_of(page)
    assert not report.failures, report.failures
    workdir = _WORKDIRS[page]
    blocks = sorted(workdir.glob("block*"))
    assert len(blocks) == report.python_blocks >= 2  # each ran in a folder of its own
    written = [p for b in blocks for p in (b / "docs" / "images").rglob("*")]
    assert not written, f"the README wrote into docs/images: {written}"
    python = [b.body for b in parse_blocks(page.read_text()) if b.lang == "python"]
    assert not any(re.search(r"docs/images", body) for body in python)
    assert (blocks[0] / "quick_start_graph.svg").exists()


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


_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}


def _counted_things() -> dict[str, int]:
    """What a page may count, and how many there really are."""
    import re

    from tinygrad_lr.cli.commands import discover
    from tinygrad_lr.exercises import EXERCISES

    sources = (ROOT / "docs" / "sources.md").read_text()
    return {
        "scripts": len(list((ROOT / "examples").glob("[0-9][0-9]_*.py"))),
        "example scripts": len(list((ROOT / "examples").glob("[0-9][0-9]_*.py"))),
        "notebooks": len(list((ROOT / "notebooks").glob("*.ipynb"))),
        "lessons": len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))),
        "numbered ones": len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))),
        "graded exercises": len(EXERCISES),
        "exercises": len(EXERCISES),
        "short tutorials": len(re.findall(r"^\| \d+ \|", sources, re.M)),
        "linear-regression tutorials": len(re.findall(r"^\| \d+ \|", sources, re.M)),
        "sub-commands": len(discover()),
    }


def test_the_counts_a_page_states_are_the_real_counts():
    """"eight scripts" when there are ten, "four notebooks" when there are seven: a page that
    counts examples, notebooks, exercises, tutorials or commands must count right."""
    import re

    things = _counted_things()
    word = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    pattern = re.compile(rf"\b({word}|\d+) ({'|'.join(sorted(things, key=len, reverse=True))})\b", re.I)
    seen, wrong = 0, []
    texts = [(p, p.read_text()) for p in pages()]
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        import json

        cells = json.loads(nb.read_text())["cells"]
        texts.append((nb, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")))
    for path, text in texts:
        for m in pattern.finditer(" ".join(text.split())):
            said = m.group(1).lower()
            n = _NUMBER_WORDS[said] if said in _NUMBER_WORDS else int(said)
            seen += 1
            real = things[m.group(2).lower()]
            if n != real:
                wrong.append(f"{path.relative_to(ROOT)}: {m.group(0)!r}, but there are {real}")
    assert seen >= 8  # README and docs/README.md count examples, notebooks, exercises, tutorials
    assert not wrong, "\n".join(wrong)


def test_every_command_is_in_the_readme_and_has_a_section_in_cli_md():
    from tinygrad_lr.cli.commands import discover

    readme, cli = (ROOT / "README.md").read_text(), (ROOT / "docs" / "cli.md").read_text()
    block = readme[readme.index("## Command line"):]
    block = block[: block.index("\n## ", 3)]
    for module in discover():
        name = module.__name__.rsplit(".", 1)[1]
        assert f"tinygrad-lr {name} " in block, f"README's command block has no `tinygrad-lr {name}`"
        assert f"\n## {name}\n" in cli, f"docs/cli.md has no section ## {name}"


def test_the_readme_links_every_docs_page():
    readme = (ROOT / "README.md").read_text()
    missing = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.name != "README.md"
               and f"(docs/{p.name})" not in readme]
    assert not missing, f"README's documentation list leaves out {missing}"


def test_the_docs_index_puts_the_exercises_right_after_the_tutorial():
    import re

    index = (ROOT / "docs" / "README.md").read_text()
    order = re.findall(r"^\| \[(\w+)\.md\]", index, re.M)
    assert order[:2] == ["tutorial", "exercises"], order


def test_newtons_one_step_is_as_close_to_least_squares_as_higher_order_md_says(capsys):
    """The page said "1e-14 apart" where the command printed 4.73e-13: the bound it states must
    hold for the run it shows."""
    import json
    import re

    from tinygrad_lr.cli import main

    page = (ROOT / "docs" / "higher_order.md").read_text()
    command = "tinygrad-lr fit examples/data/study_hours.csv --optimizer newton --epochs 1"
    assert command in page
    said = " ".join(page.split())
    (bound,) = re.findall(r"beside its own, less than (\S+) apart after that one step", said)
    argv = [str(ROOT / a) if a.endswith(".csv") else a for a in command.split()[1:]]
    assert main([*argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert 0 <= out["param_distance"] < float(bound)
