"""The float64 re-check's view of a module (``gate/float64.py``): the numbers of
``copy.deepcopy(module).double()``, without the copy, and the copy wherever the view could differ."""

from __future__ import annotations

import copy

import pytest
import torch

from equifuzz.gate.float64 import Float64View, as_float64, viewable


class Tied(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Linear(3, 3)
        self.b = torch.nn.Linear(3, 3)
        self.b.weight = self.a.weight  # one parameter under two names
        self.norm = torch.nn.BatchNorm1d(3)
        self.register_buffer("steps", torch.zeros((), dtype=torch.int64))

    def forward(self, x):
        return self.b(torch.tanh(self.norm(self.a(x)))) * (1.0 + self.steps)


class Listed(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(3, 3))
        self.ws = [self.w]  # an alias .double() converts in place, and functional_call would not swap

    def forward(self, x):
        return x @ self.ws[0]


class OwnApply(torch.nn.Linear):
    def _apply(self, fn, recurse=True):  # converts state of its own
        return super()._apply(fn, recurse)


def test_the_view_computes_what_the_converted_copy_computes_and_leaves_the_module_alone():
    torch.manual_seed(0)
    m = Tied().float().train()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    x = torch.randn(5, 3, dtype=torch.float64)
    view = as_float64(m)
    assert isinstance(view, Float64View)
    y = view(x)
    assert y.dtype == torch.float64 and torch.equal(y, copy.deepcopy(m).double()(x))
    after = m.state_dict()
    assert all(torch.equal(before[k], after[k]) and before[k].dtype == after[k].dtype for k in before)


@pytest.mark.parametrize("module", [Listed(), OwnApply(3, 3)], ids=["aliased parameter", "own _apply"])
def test_modules_the_view_could_misread_are_copied(module):
    assert not viewable(module)
    m64 = as_float64(module.float())
    assert not isinstance(m64, Float64View) and next(m64.parameters()).dtype == torch.float64
    assert next(module.parameters()).dtype == torch.float32


def test_an_e3nn_module_is_viewed_and_agrees_with_its_float64_copy():
    o3 = pytest.importorskip("e3nn.o3", reason="the e3nn extra is not installed")
    tp = o3.FullyConnectedTensorProduct("2x0e + 2x1o", "1x0e + 1x1o", "2x0e + 2x1o + 1x2e").float()
    a, b = torch.randn(4, 8, dtype=torch.float64), torch.randn(4, 4, dtype=torch.float64)
    # e3nn 0.4.4 compiles its generated code with TorchScript, which the view cannot read: copied there
    scripted = any(isinstance(m, torch.jit.ScriptModule) for m in tp.modules())
    assert viewable(tp) is not scripted
    assert torch.equal(as_float64(tp)(a, b), copy.deepcopy(tp).double()(a, b))
