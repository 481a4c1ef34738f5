"""The replay: its recorded numbers are the optimizer's, and its page writes whole or not at all.

Expected numbers are worked out independently: the tutorial's first GD step on (1, 3), (2, 5),
(3, 7) from w = 1, b = 0 with the SSE loss (dL/dw = -40, dL/db = -18, w -> 1.4, b -> 0.18), the
per-sample gradients 2 (f - y) [x, 1] written out by hand, and numpy's eigenvalues for the
stable learning rate. The page itself is driven in a real browser in test_replay_browser.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr import LinearRegression, fit, load_csv
from tinygrad_lr.cli import main
from tinygrad_lr.compare import allclose, assert_close
from tinygrad_lr.optim import make_optimizer
from tinygrad_lr.replay import ReplayTooLargeError, frame_updates, record, write_replay
from tinygrad_lr.replay import page as page_module
from tinygrad_lr.replay.graphs import fmt, graph_frames, update_loss_graph
from tinygrad_lr.viz import GraphvizNotFoundError

XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
STUDY = "examples/data/study_hours.csv"

# (optimizer, options): every way fit batches the data
RUNS = [
    ("gd", {}),
    ("sgd", {}),
    ("sgd", {"shuffle": True}),
    ("sgd", {"replacement": True}),
    ("minibatch", {"batch_size": 2}),
    ("minibatch", {"batch_size": 2, "shuffle": True}),
    ("minibatch", {"batch_size": 2, "drop_last": True}),
]


def data_2d() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(7, 2))
    return X, X @ np.array([1.5, -2.0]) + 0.5 + 0.01 * rng.normal(size=7)


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize(("name", "options"), RUNS)
def test_every_recorded_update_is_the_optimizers_own(engine, name, options) -> None:
    for X, y, d in (([[x] for x in XS], YS, 1), (*data_2d(), 2)):
        model = LinearRegression(d, w=0.5, b=0.0, engine=engine)
        rec = record(model, (X, y), name, lr=0.02, loss="mse", epochs=4, rng=7, **options)
        assert rec.updates == rec.history.updates > 0 and rec.diverged is None
        # p <- p - lr * dL/dp, to the bit
        assert np.array_equal(rec.after, rec.before - rec.lr * rec.grads)
        # each update starts where the previous one ended
        assert np.array_equal(rec.before[1:], rec.after[:-1])
        # the per-sample contributions add up to the gradient (summed in another order: 1e-12)
        for k in range(rec.updates):
            assert rec.contributions[k].shape == (len(rec.batches[k]), d + 1)
            assert_close(rec.contributions[k].sum(axis=0), rec.grads[k], rtol=1e-12, atol=1e-12)
        # replaying the record alone gives fit's history
        replayed = rec.replayed_params()
        assert np.array_equal(replayed[0], rec.history.initial_params)
        assert np.array_equal(replayed[-1], rec.history.final_params)
        ends = [int(np.flatnonzero(rec.epoch == e)[-1]) for e in range(1, rec.history.epochs + 1)]
        assert np.array_equal(replayed[[k + 1 for k in ends]], np.array(rec.history.epoch_params))
        # ... and the run of a plain fit (same seed) with its own parameter record
        plain = LinearRegression(d, w=0.5, b=0.0, engine=engine)
        h = fit(plain, (X, y), name, lr=0.02, loss="mse", epochs=4, rng=7, record_params=True, **options)
        assert np.array_equal(np.array(h.params), replayed)
        assert h.losses == rec.history.losses


def test_the_worked_example_is_recorded_with_the_tutorials_numbers() -> None:
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=1000)
    assert rec.param_names == ["w", "b"] and rec.updates == 1000
    assert rec.losses[0] == 29.0  # (1-3)^2 + (2-5)^2 + (3-7)^2
    assert rec.grads[0].tolist() == [-40.0, -18.0]
    assert_close(rec.after[0], [1.4, 0.18], rtol=0, atol=1e-15)
    # 2 (f - y) [x, 1] for f = 1, 2, 3 and y = 3, 5, 7
    assert rec.contributions[0].tolist() == [[-4.0, -4.0], [-12.0, -6.0], [-24.0, -8.0]]
    assert rec.predictions[0].tolist() == [1.0, 2.0, 3.0]
    assert_close(rec.after[-1], [2.0, 1.0], rtol=1e-7, atol=5e-4)  # the least-squares line y = 2x + 1
    assert all(len(b) == 3 for b in rec.batches)


def test_sgd_batches_are_the_samples_fit_used() -> None:
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "sgd", lr=0.01, loss="sse", epochs=2)
    assert [b.tolist() for b in rec.batches] == [[0], [1], [2], [0], [1], [2]]
    assert rec.epoch.tolist() == [1, 1, 1, 2, 2, 2]
    # the first update sees sample 1 alone: dL/dw = 2 (1 - 3) * 1 = -4
    assert rec.grads[0].tolist() == [-4.0, -4.0]


def test_a_diverging_run_is_recorded_up_to_the_blow_up() -> None:
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.1, loss="sse", epochs=100)
    A = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    bound = 2.0 / np.linalg.eigvalsh(2 * A.T @ A).max()
    assert rec.diverged is not None and "diverged at epoch 5" in rec.diverged
    assert_close(rec.max_stable_lr, bound, rtol=1e-12, atol=1e-12)
    assert rec.updates == 5 and rec.losses[-1] > 500 * rec.losses[0]
    assert np.array_equal(rec.after, rec.before - rec.lr * rec.grads)


def test_a_run_too_large_is_refused_before_training() -> None:
    with pytest.raises(ReplayTooLargeError, match=r"1200000 updates \(400000 epochs x 3 per epoch\)"):
        record(LinearRegression(), (XS, YS), "sgd", lr=0.01, epochs=400_000)


def test_frames_are_the_first_updates_then_log_spaced() -> None:
    assert frame_updates(3) == [0, 1, 2]
    picks = frame_updates(1000)
    assert picks[:20] == list(range(20)) and picks[-1] == 999 and len(picks) <= 60
    gaps = np.diff(picks[19:])
    assert np.all(gaps[1:] >= gaps[:-1] - 1)  # spaced further and further apart


def test_the_graph_of_an_update_holds_the_recorded_numbers() -> None:
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=3)
    for k in range(3):
        L, params, own = update_loss_graph(rec, k)
        assert float(L.data) == rec.losses[k]
        assert [p.grad for p in params] == rec.grads[k].tolist()
        assert [[n.label for n in nodes if n.label] for nodes in own] == [
            [f"x{i}", f"f{i}", f"y{i}", f"L{i}"] for i in (1, 2, 3)
        ]
    frames = graph_frames(rec, [0, 1, 2], render=False)
    w_node = frames.params[0]["w"]
    assert frames.labels[0][0][w_node] == ["w (parameter)", "data 1", "grad ? (not computed yet)"]
    assert frames.labels[0][1][w_node] == ["w (parameter)", "data 1", "grad -40"]
    assert frames.labels[0][2][w_node] == ["w (parameter)", "data 1.4 (was 1)", "grad -40"]
    assert frames.labels[1][0][w_node][1] == f"data {fmt(rec.before[1][0])}" == "data 1.4"


def test_a_large_batch_is_folded_with_every_samples_numbers() -> None:
    data = load_csv(STUDY)
    rec = record(LinearRegression(), data, "gd", lr=0.0002, epochs=2)
    frames = graph_frames(rec, [0, 1], render=False)
    assert frames.folded == [True, True]
    samples = frames.samples[1]
    xs = [v for v in samples.values() if v[0] == data.X[:, 0].tolist()]
    assert len(xs) == 1  # the x node: every sample's x, in batch order
    f = rec.predictions[1].tolist()
    assert any(allclose(v[0], f, rtol=1e-15, atol=1e-8) for v in samples.values())  # the f node


def test_the_page_is_self_contained(tmp_path) -> None:
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=1000)
    page = write_replay(rec, tmp_path / "replay")
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html", "updates.csv"]
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"(?:src|href)\s*=|https?:|@import|fetch\(|XMLHttpRequest", text)
    assert "<svg" in text and "Full detail (the computation graph" in text
    rows = (page.parent / "updates.csv").read_text().splitlines()
    assert rows[0] == "update,epoch,batch,loss,w_before,b_before,dL/dw,dL/db,w_after,b_after"
    assert rows[1] == "1,1,all,29.0,1.0,0.0,-40.0,-18.0,1.4,0.18"
    assert len(rows) == 1001
    # a second replay into the same folder replaces the first
    rec2 = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=2)
    write_replay(rec2, tmp_path / "replay")
    assert len((page.parent / "updates.csv").read_text().splitlines()) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["replay"]


def test_a_folder_holding_other_files_is_refused_and_left_alone(tmp_path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    rec = record(LinearRegression(), (XS, YS), "gd", lr=0.01, epochs=2)
    with pytest.raises(FileExistsError, match="holds other files \\(notes.txt\\)"):
        write_replay(rec, folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        write_replay(rec, blocker / "replay")
    with pytest.raises(FileExistsError, match="is a file, not a folder"):
        write_replay(rec, blocker)


def test_a_folder_that_cannot_be_written_is_refused_before_training(tmp_path, monkeypatch, capsys) -> None:
    import os

    real_access = os.access
    locked = tmp_path / "locked"
    locked.mkdir()
    # as root every folder is writable, so the operating system's answer is simulated
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(locked) else real_access(p, mode)
    )
    assert main(["fit", STUDY, "--epochs", "2", "--replay", str(locked / "replay")]) == 2
    err = capsys.readouterr().err
    target = locked / "replay"
    want = f"cannot write the replay to {target}: the folder {locked} is not writable"
    assert err == f"tinygrad-lr fit: error: {want}\n"
    assert list(locked.iterdir()) == []


def test_a_failed_write_leaves_nothing_half_written(tmp_path, monkeypatch) -> None:
    rec = record(LinearRegression(), (XS, YS), "gd", lr=0.01, epochs=2)
    write_replay(rec, tmp_path / "replay")
    before = (tmp_path / "replay" / "index.html").read_bytes()

    def broken(_rec):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(page_module, "_updates_csv", broken)
    with pytest.raises(OSError, match="No space left"):
        write_replay(record(LinearRegression(), (XS, YS), "gd", lr=0.01, epochs=5), tmp_path / "replay")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["replay"]  # no temporary folder left
    assert (tmp_path / "replay" / "index.html").read_bytes() == before


def test_without_graphviz_the_numbers_and_other_panels_are_still_written(tmp_path, monkeypatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no `dot` anywhere
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=10)
    with pytest.raises(GraphvizNotFoundError, match="written without the graph.*install Graphviz with"):
        write_replay(rec, tmp_path / "replay")
    text = (tmp_path / "replay" / "index.html").read_text()
    assert 'class="template"' not in text  # no graph template
    assert "Graphviz's 'dot' program was not found" in text
    assert (tmp_path / "replay" / "updates.csv").read_text().count("\n") == 11


def test_a_failing_dot_is_quoted_and_the_other_panels_are_still_written(tmp_path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: something Graphviz says' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=3)
    quoted = "Graphviz failed to draw the graph panel.*Error: something Graphviz says"
    with pytest.raises(OSError, match=quoted) as info:
        write_replay(rec, tmp_path / "replay")
    assert "\n" not in str(info.value)
    assert "Error: something Graphviz says" in (tmp_path / "replay" / "index.html").read_text()
    assert (tmp_path / "replay" / "updates.csv").read_text().count("\n") == 4


def test_fit_replay_on_the_command_line(tmp_path, capsys) -> None:
    out = tmp_path / "replay"
    assert main(["fit", STUDY, "--lr", "0.0002", "--epochs", "20", "--replay", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out / 'index.html'}: open it in a browser to replay the 20 updates" in printed
    assert (out / "updates.csv").read_text().count("\n") == 21
    # a diverging run: the page up to the blow-up, and the divergence as the one-line error
    out2 = tmp_path / "diverged"
    assert main(["fit", STUDY, "--lr", "0.001", "--epochs", "50", "--replay", str(out2)]) == 2
    captured = capsys.readouterr()
    assert "up to where training blew up" in captured.out
    assert captured.err.count("\n") == 1 and "training diverged at epoch 5" in captured.err
    assert (
        "lr &lt; 0.000429607" in (out2 / "index.html").read_text()
        or "0.000429607" in (out2 / "index.html").read_text()
    )
    # bad input: one line, nothing written
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["fit", STUDY, "--epochs", "2", "--replay", str(blocker)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert (
        main(["fit", STUDY, "--optimizer", "sgd", "--epochs", "20000", "--replay", str(tmp_path / "big")])
        == 2
    )
    assert "more than max_updates=1000000" in capsys.readouterr().err
    assert not (tmp_path / "big").exists()
    assert (
        main(["fit", STUDY, "--epochs", "2", "--replay", str(tmp_path / "r"), "--replay-axes", "w", "w"]) == 2
    )
    assert "--replay-axes takes two different parameters of w, b" in capsys.readouterr().err
    for extra in (["--l2", "0.1"], ["--schedule", "step:10"]):  # --standardize replays (test_replay_rules)
        assert main(["fit", STUDY, "--epochs", "2", "--replay", str(tmp_path / "r"), *extra]) == 2
        assert f"{extra[0]} and --replay do not go together" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_make_optimizer_runs_record_like_fit() -> None:
    m = LinearRegression(w=1.0, b=0.0)
    opt = make_optimizer("minibatch", m.parameters(), 0.01, batch_size=2)
    rec = record(m, (XS, YS), opt, loss="sse", epochs=1)
    assert [b.tolist() for b in rec.batches] == [[0, 1], [2]]
    assert rec.description == "mini-batch SGD (lr 0.01, batch 2, in order)"


def test_the_gif_has_one_frame_per_update_asked_for(tmp_path) -> None:
    from PIL import Image

    from tinygrad_lr.replay import save_animation

    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=100)
    gif = save_animation(rec, tmp_path / "learning.gif", updates=[0, 1, 2, 10, 99], fps=2)
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 5
        assert im.info["duration"] == 500  # 2 frames per second
    assert [p.name for p in tmp_path.iterdir()] == ["learning.gif"]  # no temporary file left
    with pytest.raises(ValueError, match="use .gif or .mp4"):
        save_animation(rec, tmp_path / "learning.avi")
    with pytest.raises(ValueError, match="update 100 is not in the recording"):
        save_animation(rec, tmp_path / "x.gif", updates=[100])
    from matplotlib import animation

    if not animation.writers.is_available("ffmpeg"):  # Debian without ffmpeg: say how to get it
        with pytest.raises(OSError, match="an MP4 needs the ffmpeg program"):
            save_animation(rec, tmp_path / "learning.mp4", updates=[0])
    with pytest.raises(FileNotFoundError, match="the folder .*nowhere does not exist"):
        save_animation(rec, tmp_path / "nowhere" / "x.gif", updates=[0])
    assert [p.name for p in tmp_path.iterdir()] == ["learning.gif"]


def test_the_mp4_has_one_frame_per_update_asked_for(tmp_path) -> None:
    import shutil
    import subprocess

    from matplotlib import animation

    from tinygrad_lr.replay import save_animation

    if not (animation.writers.is_available("ffmpeg") and shutil.which("ffprobe")):
        pytest.skip("ffmpeg is not installed (sudo apt-get install ffmpeg): the MP4 writer cannot run")
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=20)
    mp4 = save_animation(rec, tmp_path / "learning.mp4", updates=[0, 1, 2, 5, 19], fps=2)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames,avg_frame_rate", "-of", "csv=p=0", str(mp4)],
        capture_output=True, text=True, check=True,
    )
    rate, frames = probe.stdout.strip().split(",")
    assert int(frames) == 5 and rate == "2/1"
    assert [p.name for p in tmp_path.iterdir()] == ["learning.mp4"]  # no temporary file left


def test_an_optimizer_with_two_param_groups_is_refused_with_a_reason() -> None:
    """Every rule replays (tests/test_replay_rules.py), with one set of hyper-parameters."""
    from tinygrad_lr.optim import Momentum

    m = LinearRegression()
    w, b = m.parameters()
    opt = Momentum([{"params": [w]}, {"params": [b], "lr": 0.1}], lr=0.01)
    with pytest.raises(ValueError, match="one set of hyper-parameters; this .* has 2 param groups"):
        record(m, (XS, YS), opt, epochs=1)


def test_two_features_draw_the_landscape_over_the_weights_picked(tmp_path) -> None:
    from tinygrad_lr.replay.graphs import graph_frames
    from tinygrad_lr.replay.page import replay_data

    X, y = data_2d()
    rec = record(LinearRegression(2, engine="tensor"), (X, y), "minibatch", batch_size=3, lr=0.05, epochs=3)
    frames = graph_frames(rec, [0], render=False)
    assert replay_data(rec, frames)["axes"] == [0, 1]  # w1, w2 by default
    data = replay_data(rec, frames, axes=(1, 2))  # w2 and b, w1 held at its current value
    assert data["axes"] == [1, 2] and data["param_names"] == ["w1", "w2", "b"]
    # the landscape's quadratic form gives fit's loss at any point
    G, c, yy = (np.array(data["moments"][k]) for k in ("G", "c", "yy"))
    theta = rec.after[-1]
    quadratic = (theta @ G @ theta - 2 * c @ theta + yy) / len(y)
    assert_close(quadratic, rec.history.final_loss, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="landscape axis 3 is not a parameter index"):
        replay_data(rec, frames, axes=(0, 3))
    out = tmp_path / "two"
    csv = tmp_path / "two.csv"
    np.savetxt(csv, np.column_stack([X, y]), delimiter=",")
    assert main(["fit", str(csv), "--epochs", "3", "--replay", str(out), "--replay-axes", "w2", "b"]) == 0
    assert '"axes":[1,2]' in (out / "index.html").read_text()


def test_the_animations_text_is_at_least_11_px() -> None:
    """The README's GIF (80 dpi) had a 7 px legend and 9 px ticks: every text of its frames --
    ticks, axis labels, titles, legend, the update written out -- is now 11 px or more."""
    from matplotlib.text import Text

    from tinygrad_lr.replay.animate import save_animation
    from tinygrad_lr.viz.figures.moment import MomentFigure

    dpi = save_animation.__kwdefaults__["dpi"]
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=20)
    fig = MomentFigure(rec).show(19, 2)
    fig.draw_without_rendering()
    texts = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]
    assert len(texts) > 20
    px = {t.get_text(): round(t.get_fontsize() * dpi / 72, 1) for t in texts}
    small = {text: size for text, size in px.items() if size < 11}
    assert not small, small


def test_the_readme_gif_reads_at_11px_where_github_shows_it() -> None:
    """The README's GIF is at most 830 px wide, so GitHub's README column (about 830 px) shows it
    at its own size, not shrunk; and every text of its frame -- the update written out, titles,
    axis labels, ticks, the legend -- is at least 11 px at the GIF's 80 dpi (it was 7 px for the
    legend and 9 px for the ticks once the 960 px GIF was shrunk to the column)."""
    from matplotlib.text import Text
    from PIL import Image

    from tinygrad_lr.replay.figure import MomentFigure

    root = Path(__file__).resolve().parent.parent
    with Image.open(root / "docs" / "images" / "replay_three_points.gif") as im:
        assert im.size[0] <= 830, im.size
    rec = record(LinearRegression(w=1.0, b=0.0), ([1, 2, 3], [3, 5, 7]), "gd", lr=0.01, loss="sse", epochs=20)
    view = MomentFigure(rec)
    fig = view.show(19, 2)
    fig.set_dpi(80)
    assert fig.get_figwidth() * 80 <= 830
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert len(texts) > 20  # the title, 3 panel titles, 6 axis labels, ticks, legend
    px = {t.get_text(): round(t.get_fontsize() * 80 / 72, 1) for t in texts}
    small = {text: size for text, size in px.items() if size < 11}
    assert small == {}
