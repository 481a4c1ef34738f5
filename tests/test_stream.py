"""Issue 12: files larger than memory are streamed (or refused), never read whole; standard input,
named pipes, devices and directories are read or refused, never hang.

Streaming must make the same updates as training in memory: bit for bit for SGD and mini-batch
SGD (the same rows in the same order, given the chunk = window rule), to round-off for full-batch
GD (the gradient is summed chunk by chunk, in another order).
"""

from __future__ import annotations

import io
import os
import sys
import threading

import numpy as np
import pytest

from tinygrad_lr import DataError, LinearRegression, fit, load_csv, make_linear_data
from tinygrad_lr.cli import main
from tinygrad_lr.compare import assert_close
from tinygrad_lr.data import CSVStream, batch_indices


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    d = make_linear_data(500, w=[3.0, -2.0], rng=1)
    p = tmp_path_factory.mktemp("stream") / "d.csv"
    lines = ["a,b,target"] + [",".join(f"{v:.17g}" for v in row) for row in np.column_stack([d.X, d.y])]
    lines.insert(100, "")  # blank lines are skipped by both readers: chunks still hold chunk_rows rows
    lines.insert(300, "   ")
    p.write_text("\n".join(lines) + "\n")
    return p


@pytest.mark.parametrize(
    "optimizer, options",
    [
        ("sgd", {"shuffle": True}),
        ("sgd", {}),
        ("minibatch", {"batch_size": 32, "shuffle": True}),
        ("minibatch", {"batch_size": 48}),  # batches span chunk boundaries (chunk 128)
        ("minibatch", {"batch_size": 32, "replacement": True, "drop_last": True}),
    ],
)
@pytest.mark.parametrize("engine", ["tensor", "value"])
def test_streamed_sgd_is_the_in_memory_run_bit_for_bit(csv_path, optimizer, options, engine):
    if engine == "value" and optimizer == "sgd":
        pytest.skip("500 one-sample Value graphs per epoch: the tensor case covers the order")
    ds = load_csv(csv_path)
    m1, m2 = LinearRegression(2, engine=engine), LinearRegression(2, engine=engine)
    h1 = fit(m1, ds, optimizer, lr=0.02, epochs=2, rng=3, shuffle_window=128, **options)
    h2 = fit(m2, CSVStream(csv_path, chunk_rows=128), optimizer, lr=0.02, epochs=2, rng=3, **options)
    assert h1.updates == h2.updates
    np.testing.assert_array_equal(m1.param_vector(), m2.param_vector())
    assert_close(h1.losses, h2.losses, rtol=1e-12, atol=0.0)  # whole-file loss: summed per chunk


@pytest.mark.parametrize("loss", ["mse", "sse"])
def test_streamed_gd_accumulates_the_gradient_chunk_by_chunk(csv_path, loss):
    ds = load_csv(csv_path)
    lr = 0.05 if loss == "mse" else 1e-4
    m1, m2 = LinearRegression(2, engine="tensor"), LinearRegression(2, engine="tensor")
    h1 = fit(m1, ds, "gd", lr=lr, epochs=5, loss=loss)
    h2 = fit(m2, CSVStream(csv_path, chunk_rows=77), "gd", lr=lr, epochs=5, loss=loss)
    assert h2.updates == 5 and len(h2.losses) == 5
    assert_close(m2.param_vector(), m1.param_vector(), rtol=1e-12, atol=1e-14)
    assert_close(h2.losses, h1.losses, rtol=1e-12, atol=0.0)
    assert_close(h2.initial_loss, h1.initial_loss, rtol=1e-12, atol=1e-12)


def test_window_rule_in_memory():
    rng1, rng2 = np.random.default_rng(5), np.random.default_rng(5)
    got = np.concatenate(batch_indices(10, 3, shuffle=True, rng=rng1, window=4))
    expect = np.concatenate([rng2.permutation(4), 4 + rng2.permutation(4), 8 + rng2.permutation(2)])
    np.testing.assert_array_equal(got, expect)


def test_stream_errors_name_line_and_column(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("x,y\n" + "1,2\n" * 300 + "3,abc\n")
    with pytest.raises(DataError, match=r"line 302, column 2 \(y\): 'abc' is not a number"):
        fit(LinearRegression(), CSVStream(p, chunk_rows=100), "gd", lr=0.1)
    p.write_text("1,2\n2,nan\n")
    with pytest.raises(DataError, match="line 2, column 2: 'nan' is not a finite number"):
        CSVStream(p).count()
    p.write_text("1,2\n2,3,4\n")
    with pytest.raises(DataError, match="line 2: 3 cells, but line 1 has 2"):
        CSVStream(p).count()
    p.write_text("1,2\n1e300,3\n")
    with pytest.raises(DataError, match="overflow when squared"):
        CSVStream(p).count()


def test_stream_memory_is_bounded_by_the_chunk(tmp_path):
    # the whole file would be 40000 rows; a chunk array is 1000 rows, and no chunk outlives its turn
    p = tmp_path / "d.csv"
    rows = np.column_stack([np.arange(40000.0) / 40000, np.arange(40000.0) / 20000])
    np.savetxt(p, rows, delimiter=",", fmt="%.6f")
    stream = CSVStream(p, chunk_rows=1000)
    sizes = [len(y) for _, y in stream.chunks()]
    assert sizes == [1000] * 40 and stream.n_samples == 40000


def test_load_csv_refuses_a_file_above_the_memory_budget(tmp_path, monkeypatch):
    p = tmp_path / "d.csv"
    p.write_text("1,2\n" * 1000)  # 4000 bytes
    with pytest.raises(DataError, match="more than the memory budget of 1000 bytes .*fit --stream"):
        load_csv(p, max_bytes=1000)
    monkeypatch.setenv("TINYGRAD_LR_MEMORY_BUDGET", "0.001")  # MB: 1048 bytes
    assert main(["fit", str(p), "--epochs", "1"]) == 2
    assert main(["fit", str(p), "--epochs", "1", "--stream", "--lr", "0.01", "--json"]) == 0


def test_cli_stream_matches_in_memory(csv_path, capsys):
    import json

    argv = [
        "fit",
        str(csv_path),
        "--optimizer=minibatch",
        "--batch-size=16",
        "--lr=0.01",
        "--epochs=2",
        "--json",
    ]
    assert main(argv) == 0
    whole = json.loads(capsys.readouterr().out)
    assert main([*argv, "--stream", "--chunk-rows", "100"]) == 0
    streamed = json.loads(capsys.readouterr().out)
    assert streamed["w"] == whole["w"] and streamed["b"] == whole["b"]  # in order: same batches
    assert streamed["n_samples"] == 500
    assert main([*argv, "--stream", "--standardize"]) == 2
    assert "--standardize needs the data in memory" in capsys.readouterr().err


def test_stdin_is_read_with_dash(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"1,3\n2,5\n3,7\n")))
    assert main(["fit", "-", "--epochs", "1", "--json"]) == 0
    assert '"n_samples": 3' in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"1,3\n")))
    assert main(["fit", "-", "--stream"]) == 2
    assert "standard input can be read only once" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_fifo_is_read_and_refused_for_streaming(tmp_path, capsys):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w") as fh:
            fh.write("1,3\n2,5\n3,7\n")

    writer = threading.Thread(target=write)
    writer.start()
    assert main(["fit", str(fifo), "--epochs", "1", "--json"]) == 0
    writer.join(timeout=10)
    out, err = capsys.readouterr()
    assert '"n_samples": 3' in out and "is a named pipe" in err  # said, not silent
    assert main(["fit", str(fifo), "--stream"]) == 2  # refused at once, without opening it
    assert "a named pipe can be read only once" in capsys.readouterr().err


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null", "DIR"])
def test_devices_and_directories_are_refused_at_once(path, tmp_path, capsys):
    if path != "DIR" and not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    path = str(tmp_path) if path == "DIR" else path
    for argv in (["fit", path], ["fit", path, "--stream"], ["gradcheck", "--csv", path]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert ("is a device" in err or "is a directory" in err) and err.count("\n") == 1
