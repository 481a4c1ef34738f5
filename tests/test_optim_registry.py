"""Issue 20, optimizers the PyTorch way: hyper-parameters in ``defaults`` and ``param_groups``,
batching in one ``Batching``, and one registry that ``fit``, the command line and the lab read.

Adding an optimizer is one file: the test below defines one (outside the package, as a learner
would) and, with nothing else changed, finds it in ``make_optimizer``, ``fit``, the registry's
options and default lr, and ``tinygrad-lr fit --optimizer ... --its-option``.
"""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
import sys
from typing import Any

import numpy as np
import pytest

from tinygrad_lr import GD, Adam, LinearRegression, Momentum, StepLR, Value, fit, sse
from tinygrad_lr.cli import build_parser, main
from tinygrad_lr.compare import assert_close
from tinygrad_lr.data import Batching, batch_indices
from tinygrad_lr.optim import OPTIMIZERS, Optimizer, make_optimizer, register
from tinygrad_lr.optim.registry import unregister

XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]  # the worked example: dL/dw = -40, dL/db = -18 at w = 1, b = 0


def test_the_registry_lists_every_optimizer_in_menu_order():
    assert list(OPTIMIZERS) == [
        "gd", "sgd", "minibatch", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "newton",
    ]  # fmt: skip
    # torch.optim's default learning rates (GD-like rules need one; Newton's full step is 1)
    expected_lr = {"gd": None, "sgd": None, "minibatch": None, "momentum": 1e-3, "nesterov": 1e-3,
                   "adagrad": 1e-2, "rmsprop": 1e-2, "adam": 1e-3, "adamw": 1e-3, "newton": 1.0}  # fmt: skip
    assert {name: cls.default_lr() for name, cls in OPTIMIZERS.items()} == expected_lr
    assert list(OPTIMIZERS["adam"].options()) == ["betas", "eps", "weight_decay", "amsgrad"]
    assert OPTIMIZERS["adamw"].options()["weight_decay"].default == 0.01  # torch.optim.AdamW's
    assert OPTIMIZERS["gd"].options() == {} and OPTIMIZERS["newton"].options() == {}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_keeps_its_hyper_parameters_in_defaults_and_param_groups(name):
    cls = OPTIMIZERS[name]
    assert cls.title and cls.summary and all(o.help for o in cls.options().values())
    w, b = Value(1.0), Value(0.0)
    opt = make_optimizer(name, [w, b], 0.05, batch_size=2 if cls.batching_rule == "batches" else None)
    assert opt.defaults["lr"] == 0.05 and set(cls.options()) <= set(opt.defaults)
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["params"] == [w, b]
    for option, spec in cls.options().items():  # a default is what the group holds, and reads as an attribute
        assert opt.param_groups[0][option] == spec.default == getattr(opt, option)


def test_every_module_of_the_package_is_imported_so_one_file_is_enough():
    import tinygrad_lr.optim as optim

    for info in pkgutil.iter_modules(optim.__path__):
        assert f"tinygrad_lr.optim.{info.name}" in sys.modules, info.name
    registered = {cls for cls in OPTIMIZERS.values()}
    for info in pkgutil.iter_modules(optim.__path__):
        module = importlib.import_module(f"tinygrad_lr.optim.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Optimizer) and obj.__module__ == module.__name__:
                assert obj in registered or obj is Optimizer, (
                    obj
                )  # every rule written there is chosen by name


# --- adding an optimizer: one file ---------------------------------------------------------------


class ClippedGD(Optimizer):
    """Gradient descent with every gradient clipped to [-max_grad, max_grad] (what a new file holds)."""

    name = "clippedgd"
    title = "clipped gradient descent"
    summary = "p <- p - lr * clip(dL/dp, -max_grad, max_grad)"
    option_help = {"max_grad": "the largest |dL/dp| a step uses"}

    def __init__(self, params: Any, lr: float = 0.1, max_grad: float = 10.0, **batching: Any) -> None:
        super().__init__(params, dict(lr=lr, max_grad=max_grad), **batching)

    def check_hyper(self, hyper: dict[str, Any]) -> dict[str, Any]:
        if not hyper["max_grad"] > 0:
            raise ValueError(f"max_grad must be a number > 0, got {hyper['max_grad']!r}")
        return hyper

    def update(self, p: Any, g: Any, state: dict[str, Any], group: dict[str, Any]) -> Any:
        return p - group["lr"] * np.clip(g, -group["max_grad"], group["max_grad"])


@pytest.fixture
def clipped():
    register(ClippedGD)
    yield ClippedGD
    unregister("clippedgd")


def by_hand(lr: float, max_grad: float, epochs: int) -> tuple[float, float]:
    """Full-batch GD on the worked example with MSE, each gradient clipped, in plain numpy."""
    x, y = np.array(XS), np.array(YS)
    w = b = 0.0
    for _ in range(epochs):
        r = w * x + b - y
        gw, gb = np.clip([np.mean(2 * r * x), np.mean(2 * r)], -max_grad, max_grad)
        w, b = w - lr * gw, b - lr * gb
    return float(w), float(b)


def test_a_new_optimizer_in_one_file_is_in_fit_the_registry_and_the_command_line(clipped, tmp_path, capsys):
    assert list(OPTIMIZERS)[-1] == "clippedgd" and OPTIMIZERS["clippedgd"].default_lr() == 0.1
    assert OPTIMIZERS["clippedgd"].options()["max_grad"].default == 10.0
    m = LinearRegression(w=0.0, b=0.0)
    fit(m, (XS, YS), "clippedgd", lr=0.05, epochs=20)  # its own default max_grad: clipping at 10
    assert_close(m.param_vector().tolist(), by_hand(0.05, 10.0, 20), rtol=1e-12, atol=1e-12)
    opt = make_optimizer("clippedgd", LinearRegression().parameters(), None, max_grad=2.0)
    assert opt.lr == 0.1 and opt.max_grad == 2.0
    with pytest.raises(ValueError, match="max_grad must be a number > 0"):
        make_optimizer("clippedgd", LinearRegression().parameters(), None, max_grad=0.0)
    # the command line: the choice, its flag, its default lr, the help, the refusal elsewhere
    data = tmp_path / "points.csv"
    data.write_text("1,3\n2,5\n3,7\n")
    argv = ["fit", str(data), "--optimizer", "clippedgd", "--max-grad", "2", "--epochs", "20", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    # its step is lr times a gradient, so the default lr is half the largest stable one, 1 / lambda_max
    A = np.column_stack([XS, np.ones(3)])
    lr = 1.0 / np.linalg.eigvalsh(2.0 * A.T @ A / 3).max()
    assert_close(out["lr"], lr, rtol=1e-12, atol=1e-12)
    assert_close((out["w"], out["b"]), by_hand(lr, 2.0, 20), rtol=1e-12, atol=1e-12)
    fit_help = " ".join(build_parser()._subparsers._group_actions[0].choices["fit"].format_help().split())
    assert "clippedgd" in fit_help and "--max-grad" in fit_help and "clippedgd: default 10" in fit_help
    assert main(["fit", str(data), "--optimizer", "gd", "--max-grad", "2"]) == 2
    assert "--max-grad does not apply to --optimizer gd" in capsys.readouterr().err


def test_registering_checks_the_name_and_the_help():
    class NoHelp(ClippedGD):
        name = "nohelp"
        option_help: dict[str, str] = {}

    class Taken(ClippedGD):
        name = "adam"

    with pytest.raises(ValueError, match="option_help says nothing about max_grad"):
        register(NoHelp)
    with pytest.raises(ValueError, match="'adam' is taken by Adam"):
        register(Taken)
    assert "nohelp" not in OPTIMIZERS and OPTIMIZERS["adam"] is Adam


# --- param groups ------------------------------------------------------------------------------


def test_param_groups_give_each_parameter_its_own_lr_as_torch_does():
    # dL/dw = -40, dL/db = -18: w moves by 0.01 * 40, b by 0.1 * 18
    w, b = Value(1.0), Value(0.0)
    opt = GD([{"params": [w]}, {"params": [b], "lr": 0.1}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1] and opt.defaults == {"lr": 0.01}
    opt.zero_grad()
    sse([w * x + b for x in XS], YS).backward()
    opt.step()
    assert (w.data, b.data) == (1.0 + 0.01 * 40.0, 0.0 + 0.1 * 18.0)
    with pytest.raises(AttributeError, match="different lr"):
        opt.lr  # noqa: B018 - two lrs: reading one would hide the other
    assert "2 param groups" in opt.describe()
    sched = StepLR(opt, step_size=1, gamma=0.5)  # every group from its own starting lr
    sched.step()
    assert sched.get_last_lr() == [0.005, 0.05] and sched.base_lrs == [0.01, 0.1]
    opt.lr = 0.2  # setting it sets every group, as a schedule does
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.2] and opt.lr == 0.2


def test_param_group_mistakes_are_clear_errors():
    w, b = Value(1.0), Value(0.0)
    opt = Momentum([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one param group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="has no option betas"):
        opt.add_param_group({"params": [b], "betas": (0.9, 0.99)})
    for bad in (-0.5, math.nan, math.inf):
        with pytest.raises(ValueError, match="momentum must be a number >= 0"):
            opt.add_param_group({"params": [b], "momentum": bad})
    for bad in (0.0, math.nan, math.inf, -1.0):
        with pytest.raises(ValueError, match="learning rate"):
            opt.add_param_group({"params": [b], "lr": bad})
    with pytest.raises(ValueError, match="momentum must be a number >= 0"):
        opt.momentum = -1.0  # an attribute set is checked like the constructor's value
    opt.momentum = 0.5
    assert opt.param_groups[0]["momentum"] == 0.5
    with pytest.raises(ValueError, match="learning rate must be a number, got None"):
        Optimizer([w], {"momentum": 0.9})


def test_two_param_groups_compiled_equal_eager_to_the_bit():
    runs = []
    for compiled in (False, True):
        m = LinearRegression(w=1.0, b=0.0, engine="tensor")
        w, b = m.parameters()
        opt = GD([{"params": [w]}, {"params": [b], "lr": 0.05}], lr=0.01)
        fit(m, (XS, YS), opt, loss="sse", epochs=30, compile=compiled)
        runs.append(m.param_vector())
    assert runs[0].tobytes() == runs[1].tobytes()


# --- batching: one definition --------------------------------------------------------------------


def test_batching_is_one_object_every_optimizer_carries():
    p = [Value(0.0)]
    for opt in (
        GD(p, 0.1),
        Adam(p, batch_size=2, shuffle=True),
        make_optimizer("sgd", p, 0.1, replacement=True),
    ):
        assert isinstance(opt.batching, Batching)
        assert (opt.batch_size, opt.shuffle, opt.replacement, opt.drop_last) == (
            opt.batching.batch_size, opt.batching.shuffle, opt.batching.replacement, opt.batching.drop_last,
        )  # fmt: skip
    assert Adam(p, batch_size=2, shuffle=True).batching == Batching(2, shuffle=True)
    assert make_optimizer("sgd", p, 0.1).batching == Batching(1)


@pytest.mark.parametrize(
    "batching", [Batching(), Batching(3), Batching(3, drop_last=True), Batching(4, replacement=True),
                 Batching(4, replacement=True, drop_last=True), Batching(2, shuffle=True, drop_last=True)],
)  # fmt: skip
def test_updates_per_epoch_counts_the_batches_drawn(batching):
    for n in (4, 7, 10):
        if batching.batch_size is not None and batching.batch_size > n:
            continue
        b = batching
        drawn = batch_indices(
            n, b.batch_size, shuffle=b.shuffle, replacement=b.replacement, drop_last=b.drop_last,
            rng=np.random.default_rng(0),
        )  # fmt: skip
        assert batching.updates_per_epoch(n) == len(drawn) == len(batching.epoch(n, np.random.default_rng(0)))


def test_batching_refuses_what_it_cannot_mean():
    for kw, match in (
        (dict(shuffle=True), "need a batch_size"),
        (dict(drop_last=True), "need a batch_size"),
        (dict(batch_size=0), "at least 1"),
        (dict(batch_size=2.5), "whole number"),
        (dict(batch_size=True), "whole number"),
    ):
        with pytest.raises(ValueError, match=match):
            Batching(**kw)
    with pytest.raises(ValueError, match="Adam: shuffling, replacement and drop_last choose batches"):
        Adam([Value(0.0)], shuffle=True)
    with pytest.raises(ValueError, match="whole data set is one batch only in memory"):
        list(Batching().over_chunks([]))


def test_batches_over_chunks_are_the_in_memory_window_order():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    chunks = [(X[i : i + 4], y[i : i + 4]) for i in range(0, 10, 4)]  # chunks of 4, 4, 2
    for batching in (Batching(3), Batching(3, shuffle=True), Batching(3, replacement=True, drop_last=True)):
        streamed = [yb.tolist() for _, yb in batching.over_chunks(chunks, np.random.default_rng(7))]
        in_memory = [y[i].tolist() for i in batching.epoch(10, np.random.default_rng(7), window=4)]
        assert streamed == in_memory, batching


def _other_value(default: Any) -> Any:
    """A valid value other than the default, for any option type the rules have."""
    if isinstance(default, bool):
        return not default
    if isinstance(default, tuple):
        return (0.8, 0.99)
    return 0.1 if default == 0 else default * 0.5


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if OPTIMIZERS[n].options()])
def test_every_option_of_every_rule_reaches_it_from_the_command_line(name, tmp_path, capsys):
    data = tmp_path / "points.csv"
    data.write_text("1,3\n2,5\n3,7\n")
    for option, spec in OPTIMIZERS[name].options().items():
        value = _other_value(spec.default)
        flag = "--" + option.replace("_", "-")
        words = [] if value is False else [flag] if value is True else [flag, *map(str, np.atleast_1d(value))]
        argv = ["fit", str(data), "--optimizer", name, "--lr", "0.01", "--epochs", "5", *words, "--json"]
        assert main(argv) == 0, (name, option)
        out = json.loads(capsys.readouterr().out)
        m = LinearRegression()
        fit(m, (XS, YS), make_optimizer(name, m.parameters(), 0.01, **{option: value}), epochs=5)
        assert [out["w"], out["b"]] == m.param_vector().tolist(), (name, option)  # the same run, to the bit


def test_an_optimizer_that_is_neither_a_name_nor_an_optimizer_is_refused():
    with pytest.raises(TypeError, match="optimizer must be an Optimizer .* or a name, got int"):
        fit(LinearRegression(), (XS, YS), 3)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'; choose one of gd, sgd, minibatch"):
        fit(LinearRegression(), (XS, YS), "lbfgs", lr=0.1)
