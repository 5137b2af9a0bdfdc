#!/usr/bin/env python3
"""Exports the ONNX fixtures that Pathwise.Onnx.Tests imports, with Debian's PyTorch and checks them with python3-onnx.

Rerun from the repository root (apt-get install -y python3-torch python3-onnx: torch 1.13, onnx 1.12):

    /usr/bin/python3 tests/Pathwise.Onnx.Tests/Fixtures/export_onnx_fixtures.py

Deterministic (fixed seeds). Every model is exported by torch.onnx.export at opsets 13 and 17 (what this exporter
writes), with a dynamic batch axis unless said otherwise, then onnx.checker.check_model and shape inference run on
it. Files written beside this script:
- mlp_gemm_opsetN.onnx: Linear(6, 16), ReLU, Linear(16, 8), Tanh, Linear(8, 3), Softmax (Gemm nodes);
- mlp_matmul_opsetN.onnx: x @ W + b written out (MatMul + Add), LeakyReLU(0.2), Sigmoid, GELU (exported as its Erf
  form), a bias-free MatMul, LogSoftmax; an Identity and a Dropout node (ratio 0.5, inference) are inserted with
  onnx.helper, since the exporter drops them in eval mode;
- cnn_opsetN.onnx: Conv(1->4, k3, pad 1), ReLU, BatchNorm2d(4) (after the ReLU, so the exporter cannot fold it
  into the convolution), MaxPool(2), Conv(4->6, k3), Sigmoid, AvgPool(2) (exported as a zero Pad and AveragePool),
  Flatten, Linear(24, 5), LogSoftmax;
- cnn_reshape_opset13.onnx: Conv(1->3, k3, stride 2), Tanh, then x.reshape(1, -1) (a Reshape with a constant shape;
  batch fixed at 1) and Linear(48, 4);
- cnn_view_opsetN.onnx: Conv(1->2, k3), ReLU, x.view(x.size(0), -1) with a dynamic batch (exported as Shape, Gather,
  Unsqueeze, Concat and Reshape), Linear(32, 3);
- cnn_state_dict.pt: torch.save(cnn.state_dict()) of the cnn model above, whose tensor names are the ones the
  import takes from the graph, so the imported declaration loads it directly;
- unsupported_opset13.onnx: Linear, Abs, Linear, Cos: an import must name both the Abs and the Cos node;
- residual_opset13.onnx: x + ReLU(Linear(x)), then Linear: the residual Add (not a chain) must be named;
- cnn_gap_opsetN.onnx: Conv(1->4, k3, pad 1), ReLU, AdaptiveAvgPool2d(1) (exported as GlobalAveragePool),
  Flatten, Linear(4, 3);
- cnn_mean_opset13.onnx: Conv(1->3, k3), Tanh, x.mean((2, 3)) (a ReduceMean over the spatial axes, keepdims 0),
  Linear(3, 2);
- mlp_layernorm_opsetN.onnx: Linear(6, 10), LayerNorm(10) (affine parameters drawn at random), Tanh, Linear(10, 8),
  LayerNorm(8, eps=1e-3), Linear(8, 3); opset 17 writes LayerNormalization nodes, opset 13 the decomposed form
  (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add).
- text_opsetN.onnx: a text classifier on 12 int64 token ids: Embedding(50, 8) (a Gather of the weight by the ids),
  x.mean(dim=1) (a ReduceMean over the sequence axis, keepdims 0), Linear(8, 16), ReLU, Linear(16, 3).
- resnet_opsetN.onnx: a ResNet-style CNN: a stem Conv(2->4, k3, pad 1, no bias), BatchNorm2d, ReLU, then two residual
  blocks as torchvision's BasicBlock writes them (conv-bn-relu-conv-bn, plus the identity, ReLU), AdaptiveAvgPool2d(1),
  flatten, Linear(4, 3); batch-norm statistics drawn at random, so the exporter's folding of each BatchNorm into its
  convolution is visible; input 2x6x6;
- cnn_concat_opsetN.onnx: Conv(2->3, k3, pad 1), ReLU, torch.cat([h, x], dim=1) (channels), Conv(5->4, k3, pad 1), ReLU,
  AdaptiveAvgPool2d(1), flatten, Linear(4, 2); input 2x5x5.
- cat_first_opsetN.onnx: as cnn_concat, but torch.cat([x, h], dim=1): the earlier value first, the one computed last
  second (DenseNet's order), which imports as [Concat(nameof(H), From = nameof(X))].
- conv1d_mean_opsetN.onnx: Conv1d(3->5, k3, padding 1), ReLU, x.mean(dim=2) (a ReduceMean over the length, keepdims
  0), Linear(5, 2); input [batch, 3, 12].
- resnet_down_opsetN.onnx: the stem and first block of resnet, then a block that halves the size and doubles the
  channels (Conv(4->8, k3, stride 2, pad 1), as torchvision writes it) with a projection shortcut (Conv(4->8, k1,
  stride 2, no bias) and BatchNorm2d, torchvision's downsample), AdaptiveAvgPool2d(1), flatten, Linear(8, 3).
- cnn_general_opsetN.onnx: Conv2d(4->6, (3, 2), stride (2, 1), padding (1, 0), dilation (1, 2), groups 2), ReLU,
  depthwise Conv2d(6->6, k3, padding 2, dilation 2, groups 6), Tanh, Conv2d(6->4, k1, stride 2), AdaptiveAvgPool2d(1),
  Flatten, Linear(4, 3): Conv nodes with strides, pads, dilations, group and rectangular kernel_shape;
- conv1d_opsetN.onnx: on [batch, 3, 16]: Conv1d(3->6, k5, stride 2, padding 2, groups 3), ReLU, depthwise
  Conv1d(6->6, k3, dilation 2, groups 6), Sigmoid, Conv1d(6->4, k1, bias=False), AdaptiveAvgPool1d(1) (exported as
  GlobalAveragePool on a 3-D tensor), Flatten, Linear(4, 2).
The .NET tests import these files and compare with ONNX Runtime; they never run Python.
"""
import os

import onnx
import torch
import torch.nn.functional as F
from onnx import helper
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class MlpGemm(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.fc2 = nn.Linear(16, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return torch.softmax(self.head(torch.tanh(self.fc2(torch.relu(self.fc1(x))))), dim=-1)


class MlpMatMul(nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(5, 12) * 0.4)
        self.b1 = nn.Parameter(torch.randn(12) * 0.1)
        self.w2 = nn.Parameter(torch.randn(12, 10) * 0.3)
        self.b2 = nn.Parameter(torch.randn(10) * 0.1)
        self.w3 = nn.Parameter(torch.randn(10, 7) * 0.3)
        self.b3 = nn.Parameter(torch.randn(7) * 0.1)
        self.w4 = nn.Parameter(torch.randn(7, 4) * 0.3)

    def forward(self, x):
        x = F.leaky_relu(x @ self.w1 + self.b1, 0.2)
        x = torch.sigmoid(x @ self.w2 + self.b2)
        x = F.gelu(x @ self.w3 + self.b3)
        return torch.log_softmax(x @ self.w4, dim=1)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.pool2 = nn.AvgPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(24, 5)

    def forward(self, x):
        x = self.pool1(self.bn1(torch.relu(self.conv1(x))))
        x = self.pool2(torch.sigmoid(self.conv2(x)))
        return torch.log_softmax(self.fc(self.flatten(x)), dim=1)


class CnnReshape(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, stride=2)
        self.fc = nn.Linear(48, 4)

    def forward(self, x):
        return self.fc(torch.tanh(self.conv(x)).reshape(1, -1))


class CnnView(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(32, 3)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(x.view(x.size(0), -1))


class CnnGap(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(self.flatten(self.gap(torch.relu(self.conv(x)))))


class CnnMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(torch.tanh(self.conv(x)).mean((2, 3)))


class CnnGeneral(nn.Module):
    def __init__(self):
        super().__init__()
        self.grouped = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
        self.depthwise = nn.Conv2d(6, 6, 3, padding=2, dilation=2, groups=6)
        self.pointwise = nn.Conv2d(6, 4, 1, stride=2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = torch.tanh(self.depthwise(torch.relu(self.grouped(x))))
        return self.fc(self.flatten(self.gap(self.pointwise(x))))


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.grouped = nn.Conv1d(3, 6, 5, stride=2, padding=2, groups=3)
        self.depthwise = nn.Conv1d(6, 6, 3, dilation=2, groups=6)
        self.pointwise = nn.Conv1d(6, 4, 1, bias=False)
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = torch.sigmoid(self.depthwise(torch.relu(self.grouped(x))))
        return self.fc(self.flatten(self.gap(self.pointwise(x))))


class MlpLayerNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 10)
        self.ln1 = nn.LayerNorm(10)
        self.fc2 = nn.Linear(10, 8)
        self.ln2 = nn.LayerNorm(8, eps=1e-3)
        self.head = nn.Linear(8, 3)
        with torch.no_grad():
            for norm in (self.ln1, self.ln2):
                norm.weight.copy_(torch.randn_like(norm.weight) * 0.5 + 1)
                norm.bias.copy_(torch.randn_like(norm.bias) * 0.2)

    def forward(self, x):
        x = torch.tanh(self.ln1(self.fc1(x)))
        return self.head(self.ln2(self.fc2(x)))


class TextClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(50, 8)
        self.fc1 = nn.Linear(8, 16)
        self.head = nn.Linear(16, 3)

    def forward(self, ids):
        return self.head(torch.relu(self.fc1(self.embedding(ids).mean(dim=1))))


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return torch.cos(self.fc2(torch.abs(self.fc1(x))))


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(x + torch.relu(self.fc1(x)))


class BasicBlock(nn.Module):
    def __init__(self, channels, out_channels=None, stride=1):
        super().__init__()
        out_channels = out_channels or channels
        self.conv1 = nn.Conv2d(channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or out_channels != channels:
            self.downsample = nn.Sequential(nn.Conv2d(channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels))

    def forward(self, x):
        identity = x
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return F.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.layer1 = BasicBlock(4)
        self.layer2 = BasicBlock(4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class ResNetDown(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.layer1 = BasicBlock(4)
        self.layer2 = BasicBlock(4, 8, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def randomize_norms(model):
    with torch.no_grad():
        for norm in model.modules():
            if isinstance(norm, nn.BatchNorm2d):
                n = norm.num_features
                norm.running_mean.copy_(torch.randn(n) * 0.2)
                norm.running_var.copy_(torch.rand(n) + 0.5)
                norm.weight.copy_(torch.randn(n))
                norm.bias.copy_(torch.randn(n) * 0.1)


class Conv1dMean(nn.Module):
    """A 1-D convolution pooled by x.mean(dim=2) (a ReduceMean over the length, keepdims 0)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 5, 3, padding=1)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).mean(dim=2))


class CnnConcat(nn.Module):
    """torch.cat([h, x]); with earlier_first, torch.cat([x, h]) (the earlier value first, as DenseNet writes it)."""

    def __init__(self, earlier_first=False):
        super().__init__()
        self.earlier_first = earlier_first
        self.conv1 = nn.Conv2d(2, 3, 3, padding=1)
        self.conv2 = nn.Conv2d(5, 4, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        h = torch.relu(self.conv1(x))
        h = torch.cat([x, h] if self.earlier_first else [h, x], dim=1)
        return self.fc(torch.flatten(self.pool(torch.relu(self.conv2(h))), 1))


def export(model, example, name, opset, dynamic=True):
    model.eval()
    path = os.path.join(HERE, f"{name}_opset{opset}.onnx")
    torch.onnx.export(model, example, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}} if dynamic else None)
    graph = onnx.load(path)
    onnx.checker.check_model(graph, full_check=True)
    onnx.shape_inference.infer_shapes(graph, check_type=True, strict_mode=True)
    return path


def insert_identity_and_dropout(path):
    """Puts Identity then Dropout (inference: ratio 0.5, training_mode absent) after the graph's LeakyRelu node."""
    model = onnx.load(path)
    graph = model.graph
    index = [n.op_type for n in graph.node].index("LeakyRelu")
    first = graph.node[index]
    original = first.output[0]
    first.output[0] = original + "_raw"
    identity = helper.make_node("Identity", [original + "_raw"], [original + "_id"], name="/keep/Identity")
    dropout = helper.make_node("Dropout", [original + "_id"], [original], name="/drop/Dropout")
    graph.node.insert(index + 1, dropout)
    graph.node.insert(index + 1, identity)
    # opset 13+ Dropout takes ratio as an optional input; leaving it out means 0.5, ignored at inference.
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def main():
    torch.manual_seed(13)
    mlp_gemm, mlp_matmul, cnn = MlpGemm(), MlpMatMul(), Cnn()
    with torch.no_grad():
        cnn.bn1.running_mean.copy_(torch.randn(4) * 0.2)
        cnn.bn1.running_var.copy_(torch.rand(4) + 0.5)
        cnn.bn1.weight.copy_(torch.randn(4))
        cnn.bn1.bias.copy_(torch.randn(4) * 0.1)
    for opset in (13, 17):
        export(mlp_gemm, torch.randn(2, 6), "mlp_gemm", opset)
        insert_identity_and_dropout(export(mlp_matmul, torch.randn(2, 5), "mlp_matmul", opset))
        export(cnn, torch.randn(2, 1, 12, 12), "cnn", opset)
    torch.save(cnn.state_dict(), os.path.join(HERE, "cnn_state_dict.pt"))
    export(CnnReshape(), torch.randn(1, 1, 9, 9), "cnn_reshape", 13, dynamic=False)
    export(Unsupported(), torch.randn(2, 4), "unsupported", 13)
    export(Residual(), torch.randn(2, 4), "residual", 13)
    cnn_view = CnnView()  # made last, so adding it left the earlier fixtures' random draws unchanged
    for opset in (13, 17):
        export(cnn_view, torch.randn(2, 1, 6, 6), "cnn_view", opset)
    # Made after every earlier fixture, so adding them left those files' random draws unchanged.
    cnn_gap, cnn_mean, mlp_layernorm = CnnGap(), CnnMean(), MlpLayerNorm()
    for opset in (13, 17):
        export(cnn_gap, torch.randn(2, 1, 6, 6), "cnn_gap", opset)
        export(mlp_layernorm, torch.randn(2, 6), "mlp_layernorm", opset)
    export(cnn_mean, torch.randn(2, 1, 7, 7), "cnn_mean", 13)
    # The text, graph and convolution fixtures were added side by side, each right after the block above; each
    # starts from the generator state that block leaves, so every set of files stays what it was when it was added.
    after_earlier = torch.get_rng_state()
    text = TextClassifier()  # made last, so adding it left the earlier fixtures' random draws unchanged
    for opset in (13, 17):
        export(text, torch.randint(0, 50, (2, 12)), "text", opset)
    torch.set_rng_state(after_earlier)
    # Made after every earlier fixture, so adding them left those files' random draws unchanged.
    resnet, cnn_concat = ResNet(), CnnConcat()
    with torch.no_grad():
        for norm in (resnet.bn, resnet.layer1.bn1, resnet.layer1.bn2, resnet.layer2.bn1, resnet.layer2.bn2):
            norm.running_mean.copy_(torch.randn(4) * 0.2)
            norm.running_var.copy_(torch.rand(4) + 0.5)
            norm.weight.copy_(torch.randn(4))
            norm.bias.copy_(torch.randn(4) * 0.1)
    for opset in (13, 17):
        export(resnet, torch.randn(2, 2, 6, 6), "resnet", opset)
        export(cnn_concat, torch.randn(2, 2, 5, 5), "cnn_concat", opset)
    # Made after every earlier fixture, so adding it left those files' random draws unchanged.
    resnet_down = ResNetDown()
    randomize_norms(resnet_down)
    for opset in (13, 17):
        export(resnet_down, torch.randn(2, 2, 6, 6), "resnet_down", opset)
    torch.set_rng_state(after_earlier)
    # Made after every earlier fixture, so adding them left those files' random draws unchanged.
    cnn_general, conv1d = CnnGeneral(), Conv1dNet()
    for opset in (13, 17):
        export(cnn_general, torch.randn(2, 4, 10, 9), "cnn_general", opset)
        export(conv1d, torch.randn(2, 3, 16), "conv1d", opset)
    # Made after every earlier fixture, so adding it left those files' random draws unchanged.
    cat_first = CnnConcat(earlier_first=True)
    for opset in (13, 17):
        export(cat_first, torch.randn(2, 2, 5, 5), "cat_first", opset)
    # Made after every earlier fixture, so adding it left those files' random draws unchanged.
    conv1d_mean = Conv1dMean()
    for opset in (13, 17):
        export(conv1d_mean, torch.randn(2, 3, 12), "conv1d_mean", opset)
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".onnx"):
            model = onnx.load(os.path.join(HERE, name))
            print(name, model.opset_import[0].version, [n.op_type for n in model.graph.node])


if __name__ == "__main__":
    main()
