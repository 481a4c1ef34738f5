"""Issue 20, training in one loop: one definition of the options (``FitOptions``) that ``fit``,
``replay.record`` and ``tinygrad-lr fit`` share, checked in one place; the guard; streams as one
more source of batches for the same loop; no upward imports."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import math
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr import GD, LinearRegression, fit
from tinygrad_lr.cli import build_parser, main
from tinygrad_lr.data import CSVStream
from tinygrad_lr.replay import record
from tinygrad_lr.train import DivergenceError, FitOptions, Guard, History, OptionError

ROOT = Path(__file__).resolve().parent.parent
XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
FIELDS = [f.name for f in dataclasses.fields(FitOptions)]


def test_fit_and_record_take_exactly_the_fields_of_fit_options():
    fit_params = list(inspect.signature(fit).parameters)
    assert fit_params == ["model", "data", "optimizer", "options", *FIELDS]
    record_params = list(inspect.signature(record).parameters)
    assert record_params == ["model", "data", "optimizer", "options", "max_updates", *FIELDS]
    assert all(FitOptions.help(name) for name in FIELDS)


def test_an_options_object_and_keywords_are_the_same_run():
    opts = FitOptions(lr=0.01, loss="sse", epochs=1000)
    m1, m2, m3 = (LinearRegression(w=1.0, b=0.0) for _ in range(3))
    fit(m1, (XS, YS), "gd", opts)
    fit(m2, (XS, YS), "gd", lr=0.01, loss="sse", epochs=1000)
    fit(m3, (XS, YS), "gd", FitOptions(lr=0.01, loss="sse", epochs=5), epochs=1000)  # keywords change it
    # the step-by-step tutorial's numbers (docs/sources.md section 2)
    assert float(m1.weights[0]) == float(m2.weights[0]) == float(m3.weights[0]) == 2.000148389025502


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("epochs", -1, "epochs must be a whole number >= 0, got -1"),
        ("epochs", 2.5, "epochs must be a whole number >= 0, got 2.5"),
        ("epochs", True, "epochs must be a whole number >= 0, got True"),
        ("patience", 0, "patience must be a whole number >= 1 or None, got 0"),
        ("grad_tol", -1.0, "grad_tol must be a number >= 0 or None, got -1.0"),
        ("grad_tol", math.nan, "grad_tol must be a number >= 0 or None, got nan"),
        ("grad_tol", math.inf, "grad_tol must be a number >= 0 or None, got inf"),
        ("loss_tol", "0.1", "loss_tol must be a number >= 0 or None, got '0.1'"),
        ("l1", -0.5, "l1 must be a number >= 0, got -0.5"),
        ("l2", math.inf, "l2 must be a number >= 0, got inf"),
        ("shuffle_window", 0, "shuffle_window must be a whole number >= 1 or None, got 0"),
        ("callback", 3, "callback must be a function of a FitUpdate or None, got 3"),
        ("scheduler", "step", "scheduler must be a learning-rate schedule"),
    ],
)
def test_every_option_is_checked_once_where_it_is_defined(name, value, message):
    for make in (
        lambda: FitOptions(**{name: value}),
        lambda: fit(LinearRegression(), (XS, YS), "gd", lr=0.1, **{name: value}),
    ):
        with pytest.raises(OptionError) as err:
            make()
        assert str(err.value).startswith(message) and err.value.option == name


def test_other_bad_options_are_clear_errors():
    with pytest.raises(TypeError, match="fit\\(\\) got an unexpected keyword argument 'epoch'"):
        fit(LinearRegression(), (XS, YS), "gd", lr=0.1, epoch=3)
    with pytest.raises(TypeError, match="record\\(\\) got an unexpected keyword argument 'epoch'"):
        record(LinearRegression(), (XS, YS), "gd", lr=0.1, epoch=3)
    with pytest.raises(TypeError, match="options must be a FitOptions, got dict"):
        fit(LinearRegression(), (XS, YS), "gd", {"lr": 0.1})
    with pytest.raises(ValueError, match="learning rate must be positive"):
        FitOptions(lr=-1.0)
    with pytest.raises(ValueError, match="unknown loss 'mae'"):
        FitOptions(loss="mae")
    with pytest.raises(TypeError, match="rng must be"):
        FitOptions(rng="seed")
    with pytest.raises(ValueError, match="record\\(\\) takes no l2"):
        record(LinearRegression(), (XS, YS), "gd", lr=0.1, l2=0.1)


@pytest.mark.parametrize(
    "flag, value, message",
    [
        ("--tol", "-1", "--tol must be a number >= 0, got -1.0"),
        ("--loss-tol", "-0.5", "--loss-tol must be a number >= 0, got -0.5"),
        ("--l1", "-1", "--l1 must be a number >= 0, got -1.0"),
        ("--patience", "0", "--patience must be a whole number >= 1, got 0"),
        ("--epochs", "-3", "--epochs must be a whole number >= 0, got -3"),
    ],
)
def test_the_command_line_gets_the_same_checks_named_by_its_flags(flag, value, message, tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("1,3\n2,5\n3,7\n")
    for extra in ([], ["--stream", "--lr", "0.01"]):
        if extra and flag in ("--tol", "--loss-tol", "--l1"):
            continue  # refused with --stream before they are checked
        assert main(["fit", str(data), flag, value, *extra]) == 2
        assert capsys.readouterr().err == f"tinygrad-lr fit: error: {message}\n"


def test_the_command_line_defaults_are_fit_options_defaults():
    fit_parser = build_parser()._subparsers._group_actions[0].choices["fit"]
    defaults = {a.dest: a.default for a in fit_parser._actions}
    flags = {
        "epochs": "epochs",
        "patience": "patience",
        "loss": "loss",
        "l1": "l1",
        "l2": "l2",
        "progress": "progress",
    }
    for field, dest in flags.items():
        assert defaults[dest] == FitOptions.default(field), field


# --- the guard ---------------------------------------------------------------------------------


def guard(initial: float = 10.0, patience: int | None = 2, grad_tol=None, loss_tol=None) -> Guard:
    return Guard(
        History(initial_loss=initial), patience=patience, grad_tol=grad_tol, loss_tol=loss_tol,
        lr=lambda: 0.5, hint=lambda: None,
    )  # fmt: skip


def test_the_guard_stops_inf_nan_and_a_loss_that_keeps_growing():
    p = np.array([1.0, 2.0])
    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(
            DivergenceError, match="epoch 3 with learning rate 0.5: the loss became (inf|nan)"
        ):
            guard().end_epoch(3, bad, p, None)
    for bad in (math.inf, math.nan):
        with pytest.raises(DivergenceError, match="a parameter became inf or nan"):
            guard().end_epoch(1, 1.0, np.array([1.0, bad]), None)
    g = guard(initial=10.0, patience=2)
    assert not g.end_epoch(1, 12.0, p, None)  # above the start, but grew once only
    assert not g.end_epoch(2, 9.0, p, None)  # fell: the count starts again
    assert not g.end_epoch(3, 9.5, p, None) and not g.end_epoch(
        4, 9.8, p, None
    )  # grew twice, below the start
    with pytest.raises(DivergenceError, match="grew for 2 epochs in a row, from 9.5 to 10.5") as err:
        g.end_epoch(5, 10.5, p, None)  # grew again and is now above the start
    assert err.value.history.losses == [12.0, 9.0, 9.5, 9.8, 10.5] and err.value.epoch == 5


def test_the_guard_says_converged_only_on_finite_numbers():
    p = np.array([1.0])
    g = guard(grad_tol=1e-3)
    assert not g.end_epoch(1, 1.0, p, math.nan) and not g.end_epoch(2, 1.0, p, 1e-2)  # nan is not small
    assert g.end_epoch(3, 1.0, p, 1e-3) and g.history.converged_epoch == 3
    g = guard(loss_tol=0.1)
    assert not g.end_epoch(1, 5.0, p, None)  # changed by 5, more than 0.1 * 10
    assert g.end_epoch(2, 4.9, p, None) and "changed by 0.1" in g.history.stop_reason


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_an_infinite_initial_loss_is_refused_on_both_engines(engine):
    # from w = 1e200 the squared errors overflow: no tolerance may call that run converged
    with pytest.raises(ValueError, match="the loss overflows float64 at the initial parameters"):
        fit(LinearRegression(w=1e200, engine=engine), (XS, YS), "gd", lr=0.01, loss_tol=0.5)


# --- streams: one more source of batches --------------------------------------------------------


def test_a_stream_refuses_what_needs_the_data_in_memory(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,3\n2,5\n3,7\n")
    with pytest.raises(ValueError, match="takes no record_params, scheduler: they need the data in memory"):
        model = LinearRegression()  # the optimizer on the model's own parameters (else refused first)
        opt = GD(model.parameters(), lr=0.01)
        from tinygrad_lr import StepLR

        fit(model, CSVStream(path), opt, record_params=True, scheduler=StepLR(opt, 1))
    with pytest.raises(ValueError, match="streaming needs the loss 'sse' or 'mse'"):
        fit(LinearRegression(), CSVStream(path), "gd", lr=0.01, loss=lambda f, y: (f - y).abs().sum())


def test_fit_stream_is_kept_and_is_fit(tmp_path):
    from tinygrad_lr.train_stream import fit_stream

    path = tmp_path / "d.csv"
    path.write_text("1,3\n2,5\n3,7\n")
    m1, m2 = LinearRegression(), LinearRegression()
    fit_stream(m1, CSVStream(path, chunk_rows=2), "minibatch", lr=0.01, batch_size=2, epochs=3)
    fit(m2, CSVStream(path, chunk_rows=2), "minibatch", lr=0.01, batch_size=2, epochs=3)
    assert m1.param_vector().tolist() == m2.param_vector().tolist()


def test_replay_takes_the_stopping_rules_of_fit(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("1,3\n2,5\n3,7\n")
    out = tmp_path / "replay"
    argv = [
        "fit",
        str(data),
        "--optimizer",
        "gd",
        "--lr",
        "0.05",
        "--epochs",
        "500",
        "--tol",
        "1e-3",
        "--json",
    ]
    assert main([*argv, "--replay", str(out)]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    plain = json.loads(capsys.readouterr().out)
    assert replayed["converged"] and replayed["epochs"] == plain["epochs"] < 500
    assert replayed["w"] == plain["w"] and (out / "index.html").is_file()


# --- the layers: training imports no lens and no command line ------------------------------------


def test_the_training_layer_imports_no_lens_and_no_cli():
    lenses = (
        "viz",
        "replay",
        "compile",
        "gradcheck",
        "anomaly",
        "cli",
        "plot",
        "pictures",
        "lab",
        "exercises",
    )
    for path in [
        *sorted((ROOT / "tinygrad_lr" / "train").glob("*.py")),
        *sorted((ROOT / "tinygrad_lr" / "optim").glob("*.py")),
    ]:
        for node in ast.walk(ast.parse(path.read_text())):  # imports inside functions count too
            if isinstance(node, ast.ImportFrom) and node.module and node.level >= 1:
                top = node.module.split(".")[0] if node.level == 2 else None
                assert top not in lenses, f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                assert not any(
                    a.name.startswith("tinygrad_lr.") and a.name.split(".")[1] in lenses for a in node.names
                )
