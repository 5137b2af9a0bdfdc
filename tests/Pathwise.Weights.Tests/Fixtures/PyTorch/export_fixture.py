#!/usr/bin/env python3
"""Exports the PyTorch fixtures that PyTorchFixtureTests loads, and proves the README's "From PyTorch" lines.

Rerun from the repository root with Debian's PyTorch (apt-get install -y python3-torch: torch 1.13 and numpy):

    /usr/bin/python3 tests/Pathwise.Weights.Tests/Fixtures/PyTorch/export_fixture.py

It rewrites fashion_cnn.safetensors, tabular_mlp.safetensors and reference.json beside itself (deterministic:
fixed seeds, one thread). The .NET tests only read those files; they never run Python. Checks made here:
- save_safetensors (the README's dependency-free writer) reproduces the safetensors crate's own test vectors and
  its layout order for every dtype the writer knows;
- torch.save(state_dict) then torch.load(path, weights_only=True) gives back the same tensors, and saving that
  writes the same bytes, as does a checkpoint dict holding it; a whole pickled model, or a dict holding Python
  floats such as an optimizer's state, is refused (torch 1.13);
- every reference value is computed by PyTorch in float64 from the float32 weights.
"""
import json
import os
import pickle
import struct
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))

# safetensors dtype names, in the order the reference writer lays tensors out (I64 first, then by width).
DTYPES = {torch.int64: "I64", torch.float64: "F64", torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}


def save_safetensors(state_dict, path):
    """Writes tensors as safetensors: u64 LE header length, JSON header padded to 8 bytes, raw little-endian data."""
    assert sys.byteorder == "little"  # numpy writes native byte order
    tensors = {name: t.detach().cpu().contiguous() for name, t in state_dict.items()}
    names = sorted(tensors, key=lambda name: (list(DTYPES).index(tensors[name].dtype), name))
    header, offset = {}, 0
    for name in names:
        t = tensors[name]
        size = t.numel() * t.element_size()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name in names:
            t = tensors[name]
            f.write((t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes())


class FashionCnn(nn.Module):
    """The README's quick-start network; attribute names are the state_dict prefixes the C# declaration maps to."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)    # Conv1 -> conv1
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)   # Conv2 -> conv2
        self.pool2 = nn.MaxPool2d(2)
        self.flat = nn.Flatten()
        self.fc1 = nn.Linear(784, 64)                 # Hidden, WeightName = "fc1"
        self.fc2 = nn.Linear(64, 10)                  # Logits, WeightName = "fc2"

    def forward(self, x):
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.relu(self.conv2(x)))
        return self.fc2(torch.relu(self.fc1(self.flat(x))))


class TabularMlp(nn.Module):
    """An nn.Sequential MLP: keys classifier.0.weight, ..., with a BatchNorm1d (num_batches_tracked is an I64 scalar)."""

    def __init__(self):
        super().__init__()
        self.classifier = nn.Sequential(
            nn.Linear(12, 32), nn.BatchNorm1d(32), nn.Tanh(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 4))

    def forward(self, x):
        return self.classifier(x)


def gauss_legendre(n):
    """Nodes and weights on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n)
    return torch.tensor((x + 1) / 2), torch.tensor(w / 2)


def integrated_gradients(model, x, target, alphas, weights):
    """(x - 0) * sum_k w_k dF_target/dx(a_k x): zero baseline, float64 autograd, one batch of points."""
    points = (alphas.view(-1, *[1] * x.dim()) * x).requires_grad_(True)
    (grads,) = torch.autograd.grad(model(points)[:, target].sum(), points)
    return x * torch.einsum("k,k...->...", weights, grads)


# Rounding bounds, to first order in the unit roundoff u (2^-24 in float32, 2^-53 in float64): a sum of n rounded
# terms is off by at most n u times the sum of the terms' absolute values (Higham, Lemma 3.3), whatever the order of
# summation; ReLU and max are 1-Lipschitz, so they pass an input error on without growing it. The *_rounding arrays
# below are such bounds divided by u, for any implementation of the same sums: rounding(x) * u bounds |computed - exact|.
U64 = 2.0 ** -53
POINT_TERMS = 4          # the path point a_k x: a node a few ulps from numpy's, one product
CNN_FORWARD_TERMS = [POINT_TERMS + 10, POINT_TERMS + 10 + 73, POINT_TERMS + 10 + 73 + 785]  # cumulative: conv1 9+1, conv2 72+1, fc1 784+1


def cnn_margins(m, x):
    """Worst ratio, over every ReLU and max-pool decision at the points x [n,1,28,28], of its distance from a tie to
    a float64 error bound of the compared values (above 1: any float64 evaluation takes the branch this one takes).
    The bound used is cruder than cnn_logit_rounding's (n u times the |W|-chain), which only makes it safer."""
    def relu_ratio(z, s, terms):
        return (z.abs() / (terms * U64 * s)).min().item()

    def pool_ratio(a, s, terms):
        # a, s: [n, c, h, w] ReLU outputs and their scales; compare the top two of each 2x2 window.
        n, c, h, w = a.shape
        win = lambda t: t.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
        values, order = win(a).sort(dim=-1, descending=True)
        scales = win(s).gather(-1, order)
        gap = values[..., 0] - values[..., 1]
        active = values[..., 0] > 0   # a window of zeros sends its gradient through a ReLU at rest: nothing either way
        return (gap[active] / (terms * U64 * (scales[..., 0] + scales[..., 1]))[active]).min().item()

    z = m.conv1(x)
    s = F.conv2d(x.abs(), m.conv1.weight.abs(), m.conv1.bias.abs(), padding=1)
    a = torch.relu(z)
    worst = min(relu_ratio(z, s, CNN_FORWARD_TERMS[0]), pool_ratio(a, s, CNN_FORWARD_TERMS[0]))
    a, s = m.pool1(a), F.max_pool2d(s, 2)
    z = m.conv2(a)
    s = F.conv2d(s, m.conv2.weight.abs(), m.conv2.bias.abs(), padding=1)
    a = torch.relu(z)
    worst = min(worst, relu_ratio(z, s, CNN_FORWARD_TERMS[1]), pool_ratio(a, s, CNN_FORWARD_TERMS[1]))
    a, s = m.flat(m.pool2(a)), m.flat(F.max_pool2d(s, 2))
    z = m.fc1(a)
    s = s @ m.fc1.weight.abs().T + m.fc1.bias.abs()
    return min(worst, relu_ratio(z, s, CNN_FORWARD_TERMS[2]))


def cnn_logit_rounding(m, x):
    """Bound / u on the rounding error of the logits at x [1,1,28,28]: each layer adds (terms) x (its sum of |terms|)
    and carries the incoming error through |W|."""
    def conv(layer, a, e, terms):
        return (terms * F.conv2d(a.abs(), layer.weight.abs(), layer.bias.abs(), padding=1)
                + F.conv2d(e, layer.weight.abs(), padding=1))

    def dense(layer, a, e, terms):
        return terms * (a.abs() @ layer.weight.abs().T + layer.bias.abs()) + e @ layer.weight.abs().T

    a, e = x, POINT_TERMS * x.abs()
    e = conv(m.conv1, a, e, 10)
    a = m.pool1(torch.relu(m.conv1(a)))
    e = F.max_pool2d(e, 2)
    e = conv(m.conv2, a, e, 73)
    a = m.flat(m.pool2(torch.relu(m.conv2(a))))
    e = m.flat(F.max_pool2d(e, 2))
    e = dense(m.fc1, a, e, 785)
    a = torch.relu(m.fc1(a))
    return dense(m.fc2, a, e, 65)[0]


def cnn_ig(m, x, target, alphas, weights):
    """Integrated gradients of logit `target` at x [1,28,28] (zero baseline, nodes alphas, weights), written out as
    a backward pass with the ReLU masks and max-pool choices of the real pass, and the bound / u on its rounding:
    fc1^T sums 64 terms, conv2^T 144, then the weighted sum over the nodes (50 terms, weights a few ulps from
    numpy's: 54) and conv1^T (72), in either order; then the product with x - x' (2)."""
    p = alphas.view(-1, 1, 1, 1) * x.unsqueeze(0)                                    # [n, 1, 28, 28]
    z1 = m.conv1(p)
    p1, i1 = F.max_pool2d(torch.relu(z1), 2, return_indices=True)
    z2 = m.conv2(p1)
    p2, i2 = F.max_pool2d(torch.relu(z2), 2, return_indices=True)
    z3 = m.fc1(m.flat(p2))
    g = m.fc2.weight[target] * (z3 > 0)                                              # [n, 64], exact
    w1, w2, w3 = m.conv1.weight, m.conv2.weight, m.fc1.weight
    g, e = g @ w3, 64 * (g.abs() @ w3.abs())                                         # [n, 784]
    unpool2 = lambda t: F.max_unpool2d(t.view_as(p2), i2, 2, output_size=z2.shape[-2:]) * (z2 > 0)
    g, e = unpool2(g), unpool2(e)                                                    # [n, 16, 14, 14]
    g, e = (F.conv_transpose2d(g, w2, padding=1),
            144 * F.conv_transpose2d(g.abs(), w2.abs(), padding=1) + F.conv_transpose2d(e, w2.abs(), padding=1))
    unpool1 = lambda t: F.max_unpool2d(t, i1, 2, output_size=z1.shape[-2:]) * (z1 > 0)
    g, e = unpool1(g), unpool1(e)                                                    # [n, 8, 28, 28]
    weighted = lambda t: torch.einsum("k,k...->...", weights, t)
    grad = F.conv_transpose2d(weighted(g), w1, padding=1)[0]                         # [1, 28, 28]
    e = (54 + 72) * F.conv_transpose2d(weighted(g.abs()), w1.abs(), padding=1)[0] + F.conv_transpose2d(weighted(e), w1.abs(), padding=1)[0]
    ig = x * grad
    return ig, x.abs() * e + 2 * ig.abs()


def check_writer_against_reference_vectors(tmp):
    """The safetensors crate's own serialization tests (tensor.rs: test_empty, test_serialization,
    test_serialization_forced_alignement), reproduced byte for byte."""
    def written(tensors):
        path = os.path.join(tmp, "vector.safetensors")
        save_safetensors(tensors, path)
        with open(path, "rb") as f:
            return f.read()

    assert written({}) == struct.pack("<Q", 8) + b"{}      "
    data = struct.pack("<6f", 0, 1, 2, 3, 4, 5)
    header = b'{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'
    assert written({"attn.0": torch.arange(6.0).view(1, 2, 3)}) == struct.pack("<Q", 64) + header + data
    header = b'{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}' + b" " * 7
    assert written({"attn0": torch.arange(6.0).view(1, 1, 2, 3)}) == struct.pack("<Q", 72) + header + data
    # Every dtype the writer knows, in the reference's layout order (its prepare(): dtype descending, then name):
    # 1.0 and -2.0 are 0x3F800000/0xC0000000 in F32, 0x3F80/0xC000 in BF16, 0x3C00/0xC000 in F16.
    header = (b'{"i":{"dtype":"I64","shape":[],"data_offsets":[0,8]},'
              b'"d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},'
              b'"f":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},'
              b'"b":{"dtype":"BF16","shape":[2],"data_offsets":[24,28]},'
              b'"h":{"dtype":"F16","shape":[2],"data_offsets":[28,32]}}')
    header += b" " * (-len(header) % 8)
    data = (struct.pack("<q", 5) + struct.pack("<d", 0.5) + struct.pack("<2f", 1, -2)
            + bytes([0x80, 0x3F, 0x00, 0xC0]) + bytes([0x00, 0x3C, 0x00, 0xC0]))
    pair = torch.tensor([1.0, -2.0])
    tensors = {"h": pair.half(), "b": pair.bfloat16(), "f": pair, "d": torch.tensor([0.5], dtype=torch.float64),
               "i": torch.tensor(5)}
    assert written(tensors) == struct.pack("<Q", len(header)) + header + data


def check_pt_route(model, tmp, expected_file):
    """The README's .pt advice: torch.load(path, weights_only=True) returns the state_dict (or a checkpoint dict
    holding it); saved, it is the same file. With torch 1.13 a pickled model, or a dict holding Python floats (an
    optimizer's state), is refused."""
    original = model.state_dict()

    def loaded(obj):
        path = os.path.join(tmp, "model.pt")
        torch.save(obj, path)
        return torch.load(path, weights_only=True)

    state = loaded(original)
    assert list(state) == list(original)
    for name, tensor in original.items():
        assert state[name].dtype == tensor.dtype and torch.equal(state[name], tensor), name
    converted = os.path.join(tmp, "from_pt.safetensors")
    save_safetensors(state, converted)
    with open(converted, "rb") as a, open(expected_file, "rb") as b:
        assert a.read() == b.read()

    state = loaded({"model": original, "epoch": 3, "arch": type(model).__name__})["model"]
    assert all(torch.equal(state[name], tensor) for name, tensor in original.items())

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for refused in (model, {"model": original, "optimizer": optimizer.state_dict()}):
        try:
            loaded(refused)
            raise AssertionError(f"torch {torch.__version__} loaded a {type(refused).__name__} with weights_only=True; "
                                 "the README says 1.13 refuses it")
        except pickle.UnpicklingError:
            pass


def floats(t):
    return [float(v) for v in t.reshape(-1).tolist()]


def export_cnn(tmp):
    torch.manual_seed(1)
    model = FashionCnn().eval()
    path = os.path.join(HERE, "fashion_cnn.safetensors")
    save_safetensors(model.state_dict(), path)
    check_pt_route(model, tmp, path)

    m = FashionCnn().double().eval()
    m.load_state_dict(model.state_dict())
    alphas, weights = gauss_legendre(50)
    cases, candidates, draws = [], torch.Generator().manual_seed(2), 0
    for target in [3, 7, 0]:
        while True:
            draws += 1
            assert draws <= 1000, "no input far enough from ReLU and max-pool ties"
            image = torch.rand(1, 28, 28, generator=candidates)           # float32 values, as the C# test feeds them
            x = image.double()
            # Keep an input only if every float64 evaluation provably takes these branches at every node, with a
            # factor 2 to spare: then Pathwise's float64 IG and this one differ by rounding alone. (No such proof
            # exists in float32: in every one of 40 inputs tried, some of the ~470,000 ReLU and max-pool decisions
            # lay within float32's worst-case rounding of a tie, so a float32 IG may differ by a flipped unit.)
            with torch.no_grad():
                ratio = cnn_margins(m, alphas.view(-1, 1, 1, 1) * x.unsqueeze(0))
            if ratio >= 2:
                break
        with torch.no_grad():
            ig, ig_rounding = cnn_ig(m, x, target, alphas, weights)
            logits = m(x.unsqueeze(0))[0]
            logit_rounding = cnn_logit_rounding(m, x.unsqueeze(0))
        # The written-out backward pass must agree with autograd's: this checks the masks and routing its bound used.
        autograd = integrated_gradients(m, x, target, alphas, weights)
        assert torch.allclose(ig, autograd, rtol=0, atol=1e-12 * autograd.abs().max().item())
        cases.append({"draw": draws, "margin_ratio": ratio, "target": target, "input": floats(image),
                      "logits": floats(logits), "logit_rounding": floats(logit_rounding),
                      "ig": floats(autograd), "ig_rounding": floats(ig_rounding)})
    return {"file": "fashion_cnn.safetensors", "rule": "GaussLegendre", "steps": 50, "baseline": "zero", "cases": cases}


def export_mlp(tmp):
    torch.manual_seed(3)
    model = TabularMlp()
    with torch.no_grad():
        norm = model.classifier[1]
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.5, 0.5)
        model.train()
        for _ in range(5):   # running statistics from five batches: num_batches_tracked = 5
            model(torch.randn(64, 12) * 1.5 + 0.3)
    model.eval()
    path = os.path.join(HERE, "tabular_mlp.safetensors")
    save_safetensors(model.state_dict(), path)
    check_pt_route(model, tmp, path)

    m = TabularMlp().double().eval()
    m.load_state_dict(model.state_dict())
    alphas, weights = gauss_legendre(50)
    generator = torch.Generator().manual_seed(4)
    cases = []
    for target in [0, 2, 3]:
        image = torch.randn(12, generator=generator) * 1.5 + 0.3
        x = image.double()
        # Midpoint rule with n and 2n points: its error falls as 1/n^2, so |M_n - M_2n| is three times the error
        # of M_2n to leading order, a safe bound for it on this smooth (tanh) integrand.
        fine = []
        for n in (1 << 15, 1 << 16):
            nodes = (torch.arange(n, dtype=torch.float64) + 0.5) / n
            fine.append(integrated_gradients(m, x, target, nodes, torch.full((n,), 1.0 / n, dtype=torch.float64)))
        with torch.no_grad():
            logits = m(x.unsqueeze(0))[0]
        cases.append({
            "target": target,
            "input": floats(image),
            "logits": floats(logits),
            "ig": floats(integrated_gradients(m, x, target, alphas, weights)),
            "ig_fine": floats(fine[1]),
            "ig_fine_error": floats((fine[0] - fine[1]).abs()),
        })
    return {"file": "tabular_mlp.safetensors", "rule": "GaussLegendre", "steps": 50, "baseline": "zero",
            "num_batches_tracked": int(model.classifier[1].num_batches_tracked), "cases": cases}


def main():
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        check_writer_against_reference_vectors(tmp)
        reference = {"torch": torch.__version__, "fashion_cnn": export_cnn(tmp), "tabular_mlp": export_mlp(tmp)}
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(reference, f)
        f.write("\n")
    for case in reference["fashion_cnn"]["cases"]:
        print(f"cnn: draw {case['draw']}, target {case['target']}, margin ratio {case['margin_ratio']:.2f}")


if __name__ == "__main__":
    main()
