#!/usr/bin/env python3
"""Writes the torch.save fixtures that PyTorchCheckpointTests reads, and the values they must load as.

Rerun from the repository root with Debian's PyTorch (apt-get install -y python3-torch: torch 1.13):

    /usr/bin/python3 tests/Pathwise.Weights.Tests/Fixtures/PyTorch/export_pt_fixtures.py

Deterministic (fixed seed). Files written beside this script:
- mlp.pt: a state_dict of Linear(4, 3), BatchNorm1d(3) (running statistics set, num_batches_tracked = 7, int64),
  Linear(3, 2), float32;
- dtypes.pt: one tensor each of float32, float64, float16, bfloat16, int64 and int32, plus a 0-d scalar;
- views.pt: a view with a storage offset, two tensors sharing one storage, a transposed (non-contiguous) tensor
  and an expanded one (stride 0);
- evil_system.pt, evil_eval.pt: torch.save zips whose pickle calls os.system / builtins.eval when unpickled with
  plain pickle (never loaded here); whole_model.pt: a pickled nn.Module (torch.save(model));
- pt_expected.json: for each of mlp.pt, dtypes.pt and views.pt, every tensor's dtype, shape and row-major values
  (exact: each value is a float64 that round-trips through repr).
Each good file is checked here with torch.load(path, weights_only=True) (the loader the .NET reader mirrors), and
each bad one is checked to be refused by it. The .NET tests read these files; they never run Python.
"""
import json
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64", torch.int32: "I32"}


def describe(state):
    out = {}
    for name, t in state.items():
        values = t.detach().to(torch.float64).contiguous().reshape(-1).tolist()
        out[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "values": values}
    return out


def save_checked(state, file_name):
    path = os.path.join(HERE, file_name)
    torch.save(state, path)
    loaded = torch.load(path, weights_only=True)
    assert list(loaded) == list(state), file_name
    for name, t in state.items():
        assert loaded[name].dtype == t.dtype and torch.equal(loaded[name], t), (file_name, name)
    return describe(state)


def mlp_state():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    with torch.no_grad():
        model[1].running_mean.copy_(torch.randn(3))
        model[1].running_var.copy_(torch.rand(3) + 0.5)
        model[1].weight.copy_(torch.randn(3))
        model[1].bias.copy_(torch.randn(3))
        model[1].num_batches_tracked.fill_(7)
    return model.state_dict()


def dtypes_state():
    base = torch.randn(2, 3, dtype=torch.float64)
    from collections import OrderedDict
    return OrderedDict([
        ("f32", base.to(torch.float32)),
        ("f64", base * 1e-3),
        ("f16", base.to(torch.float16)),
        ("bf16", base.to(torch.bfloat16)),
        ("i64", torch.tensor([[-3, 0, 2 ** 40], [5, -(2 ** 50), 1]], dtype=torch.int64)),
        ("i32", torch.tensor([7, -8, 2 ** 30], dtype=torch.int32)),
        ("scalar", torch.tensor(2.5)),
    ])


def views_state():
    from collections import OrderedDict
    storage = torch.randn(20)
    matrix = torch.randn(3, 4)
    shared = torch.randn(10)
    state = OrderedDict([
        ("offset_view", storage[5:11].view(2, 3)),       # storage offset 5 into a 20-element storage
        ("shared_a", shared[:6].view(3, 2)),             # these two share one storage
        ("shared_b", shared[4:]),                        # and overlap on elements 4 and 5
        ("transposed", matrix.t()),                      # strides (1, 4): materialised in row-major order
        ("expanded", torch.randn(3, 1).expand(3, 4)),    # stride 0 along the last dimension
    ])
    assert not state["transposed"].is_contiguous() and state["expanded"].stride() == (1, 0)
    assert state["offset_view"].storage_offset() == 5
    return state


class Evil:
    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return (self.function, (self.argument,))


def save_refused(obj, file_name, needle):
    """torch.save writes obj; torch.load(weights_only=True) must refuse it (the file is never unpickled plainly)."""
    path = os.path.join(HERE, file_name)
    torch.save(obj, path)
    try:
        torch.load(path, weights_only=True)
    except Exception as error:  # torch 1.13 raises pickle.UnpicklingError naming the global
        assert needle in str(error), (file_name, str(error))
    else:
        raise AssertionError(f"torch.load(weights_only=True) accepted {file_name}")


def main():
    torch.manual_seed(2026)
    expected = {
        "mlp.pt": save_checked(mlp_state(), "mlp.pt"),
        "dtypes.pt": save_checked(dtypes_state(), "dtypes.pt"),
        "views.pt": save_checked(views_state(), "views.pt"),
    }
    import builtins
    import os as os_module
    from collections import OrderedDict
    save_refused(OrderedDict([("w", torch.ones(2)), ("x", Evil(os_module.system, "echo pwned"))]), "evil_system.pt", "system")
    # Protocol 2 names builtins by their Python 2 module: the pickle says '__builtin__ eval'.
    save_refused(OrderedDict([("x", Evil(builtins.eval, "1 + 1"))]), "evil_eval.pt", "eval")
    save_refused(nn.Linear(2, 2), "whole_model.pt", "Linear")
    with open(os.path.join(HERE, "pt_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("wrote", ", ".join(sorted(expected)), "and the refused files")


if __name__ == "__main__":
    main()
