"""A replay page stays under 15 MB for any run (tinygrad_lr/replay/budget.py).

The numbers on the page are read back with numpy alone (replay_numbers.py) and compared with the
recording to the bit: every update's loss and parameters while they fit the budget, whole blocks
of updates beyond it; full detail (the graph frames) for the documented subset, every update
asked for included. Long runs are made by a generator that does SGD's arithmetic in plain Python
(a real fit of 10^5 updates takes minutes); real runs check the page against fit's History.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from replay_numbers import page_data, page_numbers, sgd_recording

import tinygrad_lr.replay.budget as budget
from tinygrad_lr import LinearRegression
from tinygrad_lr.replay import Recording, ReplayTooLargeError, frame_updates, record, write_replay
from tinygrad_lr.replay.budget import spans_text
from tinygrad_lr.viz.recording import fmt

XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(
        np.ascontiguousarray(a, dtype="<f8").view(np.uint64),
        np.ascontiguousarray(b, dtype="<f8").view(np.uint64),
    )


def check_kept(page, rec: Recording) -> np.ndarray:
    """Every kept update's numbers on the page are the recording's, to the bit; the kept updates."""
    got = page_numbers(page)
    kept = got["kept"]
    assert same_bits(got["before"], rec.before[kept]) and same_bits(got["after"], rec.after[kept])
    assert same_bits(got["grads"], rec.grads[kept]) and same_bits(got["losses"], rec.losses[kept])
    assert np.array_equal(got["epoch"], rec.epoch[kept])
    n = rec.n_samples
    for k, batch in zip(kept, got["batches"]):
        want = rec.batches[k]
        assert (batch is None and np.array_equal(want, np.arange(n))) or np.array_equal(batch, want)
    return kept


@pytest.fixture(scope="module")
def long_run() -> Recording:
    return sgd_recording(100_000)


def test_a_100000_update_run_keeps_every_updates_numbers_under_the_budget(long_run, tmp_path) -> None:
    page = write_replay(long_run, tmp_path / "replay", frames=12, first=5)
    assert page.stat().st_size < budget.PAGE_LIMIT  # 15.6 MB before the budget, 156 bytes an update
    assert page.stat().st_size < 8_000_000  # ~61 bytes an update
    assert np.array_equal(check_kept(page, long_run), np.arange(100_000))  # every update
    data = page_data(page)
    frames = data["frames"]["updates"]
    assert frames == frame_updates(100_000, first=5, total=12) and data["kept_note"] is None
    # the page says which updates have full detail, by their numbers
    assert data["detail_note"].startswith("Full detail (the computation graph")
    told = f"is kept for {len(frames)} of the 100,000 updates: {spans_text(frames)} (the first ones"
    assert told in data["detail_note"] and spans_text(frames).startswith("1-") and ", 100,000" in told


def test_beyond_the_budget_whole_epochs_are_kept_and_the_page_says_which(
    long_run, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(budget, "NUMBERS_BUDGET", 1_000_000)
    asked = [55_554, 77_777]  # 0-based: updates 55,555 and 77,778 of the page
    page = write_replay(long_run, tmp_path / "replay", frames=12, first=5, detail=asked)
    assert page.stat().st_size < 1_800_000
    kept = check_kept(page, long_run)
    data = page_data(page)
    spans = data["numbers"]["spans"]
    # whole epochs (100 updates): the first, the last, the asked-for ones', evenly spaced between
    assert all(a % 100 == 0 and (b % 100 == 0) for a, b in spans)
    assert spans[0][0] == 0 and spans[-1][1] == 100_000
    assert {55_500, 77_700} <= {int(k) for k in kept if k % 100 == 0}
    gaps = np.diff([a for a, _ in spans])
    assert gaps.max() - gaps.min() <= 700  # evenly spaced (the asked-for blocks aside)
    assert 10_000 <= len(kept) <= 16_000  # what 1 MB holds at ~61 bytes an update
    note = data["kept_note"]
    assert (
        f"keeps the numbers of {len(kept):,} of them" in note
        and "blocks of 100 updates (1 epoch each)" in note
    )
    # full detail: the asked-for updates, and only kept updates
    frames = data["frames"]["updates"]
    assert set(asked) <= set(frames) and set(frames) <= {int(k) for k in kept}
    assert "and the ones asked for (55,555, 77,778)" in data["detail_note"]


def test_a_real_runs_kept_numbers_are_its_history(tmp_path, monkeypatch) -> None:
    """record() (fit itself) with record_params: the page's parameters are fit's History's."""
    rec = record(
        LinearRegression(w=1.0, b=0.0), (XS, YS), "sgd", lr=0.01, loss="sse", epochs=700, record_params=True
    )
    assert rec.history is not None and rec.updates == 2100
    history = np.array(rec.history.params)  # before training, then after every update
    for limit, thinned in ((budget.NUMBERS_BUDGET, False), (30_000, True)):
        monkeypatch.setattr(budget, "NUMBERS_BUDGET", limit)
        page = write_replay(rec, tmp_path / f"r{limit}", frames=8, first=4)
        got = page_numbers(page)
        kept = got["kept"]
        assert (len(kept) < rec.updates) is thinned and (page_data(page)["kept_note"] is not None) is thinned
        assert same_bits(got["before"], history[kept]) and same_bits(got["after"], history[kept + 1])
        assert same_bits(got["losses"], rec.losses[kept])
        # the epoch losses drawn: the history's, at the kept updates that end an epoch
        ends = got["epoch_ends"]
        assert np.all(np.isin(ends, kept)) and np.all(ends % 3 == 2)
        assert same_bits(got["epoch_losses"], np.array(rec.history.losses)[ends // 3])


def test_a_small_run_is_unchanged_every_update_in_full_detail(tmp_path) -> None:
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=50)
    page = write_replay(rec, tmp_path / "replay")
    data = page_data(page)
    assert (
        data["frames"]["updates"] == list(range(50))
        and data["kept_note"] is None
        and data["detail_note"] is None
    )
    assert np.array_equal(check_kept(page, rec), np.arange(50))
    assert page_numbers(page)["batches"] == [None] * 50  # GD: all samples, in order
    labels = data["frames"]["labels"][0]  # update 1's graph: the worked example's numbers
    w_box = next(lines for lines in labels[1].values() if lines[0] == "w (parameter)")
    assert w_box[1:] == ["data 1", "grad -40"] and rec.grads[0].tolist() == [-40.0, -18.0]


def test_detail_updates_numbers_are_the_recorded_ones(tmp_path) -> None:
    """A folded minibatch graph for an asked-for update: every sample's gradient of w in the
    picker's numbers is its recorded contribution, the parameters' boxes the recorded gradient."""
    x = np.linspace(0.0, 1.0, 12)
    rec = record(LinearRegression(w=0.5, b=0.0), (x, 2 * x + 1), "minibatch", batch_size=6, lr=0.1, epochs=40)
    k = 57
    page = write_replay(rec, tmp_path / "replay", frames=5, first=2, detail=[k])
    data = page_data(page)
    fi = data["frames"]["updates"].index(k)
    assert data["frames"]["folded"][fi]
    phases, samples = data["frames"]["labels"][fi], data["frames"]["samples"][fi]
    boxes = {lines[0]: (nid, lines) for nid, lines in phases[1].items()}
    for i, name in enumerate(("w", "b")):
        summed = f"grad {fmt(rec.grads[k][i])} (sum over 6 samples)"
        assert boxes[f"{name} (parameter)"][1][1:] == [f"data {fmt(rec.before[k][i])}", summed]
    f_node = next(nid for title, (nid, _) in boxes.items() if title.startswith("f_i"))
    data_f, grad_f = samples[f_node]
    assert np.array_equal(data_f, rec.predictions[k])  # each sample's prediction, the recorded double
    assert np.array_equal(
        np.array(grad_f)[:, None] * np.c_[x[rec.batches[k]], np.ones(6)], rec.contributions[k]
    )


@pytest.mark.parametrize(
    ("detail", "error", "match"),
    [
        ([-1], ValueError, r"detail: update -1 is not one of the run's \(0 to 49\)"),
        ([50], ValueError, r"update 50 is not one of the run's"),
        (["3"], TypeError, r"detail takes update numbers"),
        ([True], TypeError, r"detail takes update numbers"),
        ([2.0], TypeError, r"detail takes update numbers"),
    ],
)
def test_asking_for_updates_that_are_not_the_runs_is_refused(tmp_path, detail, error, match) -> None:
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=50)
    with pytest.raises(error, match=match):
        write_replay(rec, tmp_path / "replay", detail=detail)
    assert not (tmp_path / "replay").exists()


def test_asking_for_too_many_updates_is_refused(long_run, tmp_path) -> None:
    with pytest.raises(ValueError, match=r"at most 100 updates can be asked for, got 101"):
        write_replay(long_run, tmp_path / "replay", detail=range(0, 101_000, 990)[:101])
    assert not (tmp_path / "replay").exists()


def test_a_page_over_the_limit_is_refused_and_nothing_is_written(tmp_path, monkeypatch) -> None:
    rec = record(LinearRegression(w=1.0, b=0.0), (XS, YS), "gd", lr=0.01, loss="sse", epochs=5)
    monkeypatch.setattr("tinygrad_lr.replay.page.PAGE_LIMIT", 50_000)
    with pytest.raises(ReplayTooLargeError, match=r"the replay page would be 0\.\d MB, more than 0\.05 MB"):
        write_replay(rec, tmp_path / "replay")
    assert not (tmp_path / "replay").exists()


def test_big_folded_graphs_are_kept_for_as_many_updates_as_fit(tmp_path, monkeypatch) -> None:
    """Graph frames of 400-sample batches carry every sample's numbers: within the frames' budget
    the first and last frames and the asked-for one stay, the others thin out evenly."""
    x = np.linspace(0.0, 1.0, 400)
    rec = record(LinearRegression(), (x, 3 * x - 1), "gd", lr=0.5, epochs=30)
    monkeypatch.setattr(budget, "FRAMES_BUDGET", 400_000)
    page = write_replay(rec, tmp_path / "replay", frames=12, first=4, detail=[17])
    frames = page_data(page)["frames"]["updates"]
    assert {0, 17, 29} <= set(frames) and 3 <= len(frames) < 12
    assert re.search(r"is kept for \d+ of the 30 updates", page_data(page)["detail_note"])


def test_the_lab_limits_the_page_repeats_are_the_labs() -> None:
    from tinygrad_lr.lab.state import MAX_POINTS, MAX_UPDATES
    from tinygrad_lr.replay.page import LAB_POINTS, LAB_RUN_UPDATES

    assert (LAB_RUN_UPDATES, LAB_POINTS) == (MAX_UPDATES, MAX_POINTS)


def test_fit_replay_detail_on_the_command_line(tmp_path, capsys) -> None:
    from tinygrad_lr.cli import main

    csv = tmp_path / "d.csv"
    csv.write_text("".join(f"{x},{2 * x + 1}\n" for x in range(1, 51)))  # 50 rows: SGD, 50 updates an epoch
    out = tmp_path / "replay"
    argv = ["fit", str(csv), "--optimizer", "sgd", "--lr", "0.0001", "--epochs", "4", "--replay", str(out)]
    assert main([*argv, "--replay-detail", "151", "7"]) == 0
    frames = page_data(out / "index.html")["frames"]["updates"]
    assert {150, 6} <= set(frames) and 150 not in frame_updates(200)
    assert "and the ones asked for (7, 151)" in page_data(out / "index.html")["detail_note"]
    capsys.readouterr()
    for extra, message in (
        (["--replay-detail", "0"], "--replay-detail takes 1 to 100 update numbers, 1 for the first update"),
        (["--replay-detail", "201"], "--replay-detail: update 201 is past the run's last update, 200"),
    ):
        assert main([*argv[:-1], str(tmp_path / "r"), *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
        assert not (tmp_path / "r").exists()
    assert main(["fit", str(csv), "--epochs", "2", "--replay-detail", "1"]) == 2
    assert "--replay-detail needs --replay" in capsys.readouterr().err
