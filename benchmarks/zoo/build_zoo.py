#!/usr/bin/python3
"""Builds pot4j's model zoo: varied ONNX models exported by Debian's PyTorch, with deterministic inputs and
PyTorch's FP32 reference outputs.

    /usr/bin/python3 benchmarks/zoo/build_zoo.py --out benchmarks/zoo/target [--only resnet50,lstm] [--samples 32]

Needs python3-torch python3-torchvision python3-onnx python3-numpy (Debian bookworm: torch 1.13.1, torchvision
0.14.1). Downloads nothing: weights are random (seeded) or trained for a few seconds on synthetic data. Per model
it writes OUT/<name>/:

    <name>.onnx                 the model
    inputs/<input>.npy          one array per input, axis 0 = samples (what the npy loader reads)
    inputs.npz                  the same arrays keyed by input name
    labels.npy                  classifiers only: PyTorch's FP32 top-1 per sample (top-1 agreement as accuracy)
    reference/<output>.npy      PyTorch's FP32 outputs for the same samples, axis 0 = samples
    reference.npz               the same keyed by output name

and OUT/manifest.json lists every model: file, inputs (name, dtype, ONNX shape, dynamic dims, sample file),
outputs, opset, family, exporter, what it is meant to test. Same command, same arrays (the ONNX bytes may differ
between PyTorch builds).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


# ---------------------------------------------------------------- inputs


def smooth_images(rng, n, c, h, w, scale=4):
    """Natural-ish images: low-resolution noise upsampled, plus a little pixel noise, roughly N(0, 1)."""
    low = torch.from_numpy(rng.standard_normal((n, c, max(1, h // scale), max(1, w // scale))).astype(np.float32))
    up = F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)
    return (up + 0.1 * torch.from_numpy(rng.standard_normal((n, c, h, w)).astype(np.float32))).numpy()


def calibrate_batchnorm(model, batches):
    """Random weights with BatchNorm's default running stats (0, 1) make deep nets explode or vanish; one pass in
    train mode over the sample inputs sets the running stats as training would (cumulative average)."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for b in batches:
            model(*b)
    model.eval()


# ---------------------------------------------------------------- model definitions


class CnnRelu(nn.Module):
    """cnn_relu's architecture (examples/fashion-mnist/models/cnn_relu.onnx): Conv 32, 32, Pool, Conv 64, 64, Pool,
    Gemm 128, Gemm 10 on 1x28x28."""

    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.Tanh(), nn.Linear(128, 10))

    def forward(self, x):
        return self.net(x)


class CnnNhwc(nn.Module):
    """Channels-last input [N, H, W, C], transposed inside (as TF-converted models do)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.LeakyReLU(0.1),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))

    def forward(self, x):
        return self.body(x.permute(0, 3, 1, 2))


class Tcn(nn.Module):
    """Dilated Conv1d stack with residuals on [N, C, T] (keyword spotting / sensor data)."""

    def __init__(self, c=16):
        super().__init__()
        self.inp = nn.Conv1d(8, c, 1)
        self.blocks = nn.ModuleList([nn.Conv1d(c, c, 3, padding=d, dilation=d) for d in (1, 2, 4, 8)])
        self.out = nn.Linear(c, 6)

    def forward(self, x):
        x = self.inp(x)
        for b in self.blocks:
            x = x + F.relu(b(x))
        return self.out(x.mean(dim=2))


class UNetTiny(nn.Module):
    """Encoder-decoder with nn.Upsample (opset 9: the deprecated Upsample op) and a skip concat; dense output."""

    def __init__(self):
        super().__init__()
        self.e1 = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.e2 = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU())
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.d1 = nn.Sequential(nn.Conv2d(48, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 4, 1))

    def forward(self, x):
        a = self.e1(x)
        b = self.e2(a)
        return self.d1(torch.cat([self.up(b), a], dim=1))


class RnnLstm(nn.Module):
    def __init__(self, features=12, hidden=32, layers=1):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 5)

    def forward(self, x, h0, c0):
        y, (h, c) = self.lstm(x, (h0, c0))
        return self.head(y[:, -1]), h, c


class RnnGru(nn.Module):
    def __init__(self, features=12, hidden=32):
        super().__init__()
        self.gru = nn.GRU(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 5)

    def forward(self, x, h0):
        y, h = self.gru(x, h0)
        return self.head(y), h


class IfFlag(nn.Module):
    """Branches on a boolean input (scripted: an ONNX If with a Conv in each branch)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.a = nn.Conv2d(16, 16, 3, padding=1)
        self.b = nn.Conv2d(16, 16, 1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x, flag: torch.Tensor):
        y = F.relu(self.stem(x))
        if bool(flag):
            y = F.relu(self.a(y))
        else:
            y = torch.sigmoid(self.b(y))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


class IfData(nn.Module):
    """Branches on the data (scripted): one input, an ONNX If whose condition is computed from it. The condition is
    the mean over the whole input tensor: a batch takes one branch for all its samples (the zoo's samples come in
    runs of 16 per branch, so batches of 8 or 16 agree with the per-sample references)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.a = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        y = F.relu(self.stem(x))
        if bool(x.mean() > 0.25):
            y = F.relu(self.a(y))
        else:
            y = y * 0.5
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


class Spectrogram(nn.Module):
    """Audio front-end: STFT as a Conv1d with fixed Hann-windowed cos/sin kernels, power, log; then a small CNN."""

    def __init__(self, n_fft=256, hop=128, classes=8):
        super().__init__()
        bins = n_fft // 2 + 1
        t = np.arange(n_fft)
        window = 0.5 - 0.5 * np.cos(2 * np.pi * t / n_fft)
        k = np.arange(bins)[:, None]
        cos = (np.cos(2 * np.pi * k * t / n_fft) * window).astype(np.float32)
        sin = (-np.sin(2 * np.pi * k * t / n_fft) * window).astype(np.float32)
        self.stft = nn.Conv1d(1, 2 * bins, n_fft, stride=hop, bias=False)
        self.stft.weight.data = torch.from_numpy(np.concatenate([cos, sin])[:, None, :])
        self.stft.weight.requires_grad_(False)
        self.bins = bins
        self.cnn = nn.Sequential(nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, classes))

    def forward(self, wave):
        s = self.stft(wave)
        re, im = s[:, :self.bins], s[:, self.bins:]
        logpow = torch.log(re * re + im * im + 1e-6)
        return self.cnn(logpow.unsqueeze(1))


class DetectionHead(nn.Module):
    """Backbone with two feature levels (strides 8, 16), shared-shape heads: class logits, boxes, objectness per
    level (6 outputs), as single-stage detectors export them before decoding."""

    def __init__(self, classes=4, anchors=3):
        super().__init__()

        def block(i, o, s):
            return nn.Sequential(nn.Conv2d(i, o, 3, stride=s, padding=1), nn.BatchNorm2d(o), nn.ReLU())

        self.s8 = nn.Sequential(block(3, 16, 2), block(16, 32, 2), block(32, 48, 2))
        self.s16 = block(48, 64, 2)
        self.lat = nn.Conv2d(64, 48, 1)
        self.cls = nn.ModuleList([nn.Conv2d(48, anchors * classes, 3, padding=1) for _ in range(2)])
        self.box = nn.ModuleList([nn.Conv2d(48, anchors * 4, 3, padding=1) for _ in range(2)])
        self.obj = nn.ModuleList([nn.Conv2d(48, anchors, 1) for _ in range(2)])

    def forward(self, x):
        p3 = self.s8(x)
        p4 = self.lat(self.s16(p3))
        p3 = p3 + F.interpolate(p4, scale_factor=2.0, mode="nearest")
        outs = []
        for i, p in enumerate((p3, p4)):
            outs += [self.cls[i](p), self.box[i](p), torch.sigmoid(self.obj[i](p))]
        return tuple(outs)


class BertTiny(nn.Module):
    """BERT-like encoder: token + position embeddings, LayerNorm (decomposed below opset 17), self-attention with an
    additive mask from attention_mask, GELU (Erf), pooler (tanh) and a classifier."""

    def __init__(self, vocab=1000, dim=64, heads=4, layers=2, max_len=64, classes=3):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(max_len, dim)
        self.ln = nn.LayerNorm(dim)
        self.heads = heads
        self.layers = nn.ModuleList()
        for _ in range(layers):
            self.layers.append(nn.ModuleDict(dict(qkv=nn.Linear(dim, 3 * dim), o=nn.Linear(dim, dim), ln1=nn.LayerNorm(dim),
                                                  f1=nn.Linear(dim, 4 * dim), f2=nn.Linear(4 * dim, dim),
                                                  ln2=nn.LayerNorm(dim))))
        self.pool = nn.Linear(dim, dim)
        self.cls = nn.Linear(dim, classes)

    def forward(self, input_ids, attention_mask):
        b, s = input_ids.shape
        pos = torch.arange(s, device=input_ids.device).unsqueeze(0)
        x = self.ln(self.tok(input_ids) + self.pos(pos))
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        d = x.shape[-1] // self.heads
        for L in self.layers:
            q, k, v = L["qkv"](x).chunk(3, dim=-1)
            q = q.reshape(b, s, self.heads, d).transpose(1, 2)
            k = k.reshape(b, s, self.heads, d).transpose(1, 2)
            v = v.reshape(b, s, self.heads, d).transpose(1, 2)
            att = torch.softmax(q @ k.transpose(-1, -2) / (d ** 0.5) + mask, dim=-1)
            y = (att @ v).transpose(1, 2).reshape(b, s, -1)
            x = L["ln1"](x + L["o"](y))
            x = L["ln2"](x + L["f2"](F.gelu(L["f1"](x))))
        return self.cls(torch.tanh(self.pool(x[:, 0])))


class VitTiny(nn.Module):
    """Small ViT: patch embedding Conv, class token, pre-norm blocks (LayerNorm, softmax attention, GELU MLP).
    shape_arithmetic: batch, tokens, channels and the attention scale come from the traced input shape (b, n, c =
    x.shape; d ** -0.5), which the exporter writes as rank-0 Shape/Gather/Div/Pow nodes, as in most exported
    transformers; False: Python constants and -1 reshapes, no rank-0 tensors in the graph."""

    def __init__(self, image=32, patch=8, dim=64, heads=4, layers=2, classes=10, shape_arithmetic=True):
        super().__init__()
        self.shape_arithmetic = shape_arithmetic
        self.dim = dim
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.n = (image // patch) ** 2
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, self.n + 1, dim) * 0.02)
        self.heads = heads
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleDict(dict(ln1=nn.LayerNorm(dim), qkv=nn.Linear(dim, 3 * dim), o=nn.Linear(dim, dim),
                                                  ln2=nn.LayerNorm(dim), f1=nn.Linear(dim, 2 * dim),
                                                  f2=nn.Linear(2 * dim, dim))))
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        if self.shape_arithmetic:
            b, n, c = x.shape
            cls = self.cls_token.expand(b, -1, -1)
        else:
            b, n, c = -1, self.n, self.dim
            cls = x[:, :1] * 0.0 + self.cls_token
        x = torch.cat([cls, x], dim=1) + self.pos
        d = c // self.heads
        for B in self.blocks:
            q, k, v = B["qkv"](B["ln1"](x)).chunk(3, dim=-1)
            q = q.reshape(b, n + 1, self.heads, d).transpose(1, 2)
            k = k.reshape(b, n + 1, self.heads, d).transpose(1, 2)
            v = v.reshape(b, n + 1, self.heads, d).transpose(1, 2)
            att = torch.softmax(q @ k.transpose(-1, -2) * (d ** -0.5), dim=-1)
            x = x + B["o"]((att @ v).transpose(1, 2).reshape(b, n + 1, c))
            x = x + B["f2"](F.gelu(B["f1"](B["ln2"](x))))
        return self.head(self.ln(x[:, 0]))


# ---------------------------------------------------------------- brief training on synthetic data


def train_cnn_relu(model, rng, steps=150):
    """10 classes, each a fixed smooth 28x28 template; samples are a template plus noise and a random shift.
    Trains in seconds to ~100 % so that top-1 agreement is about real decision margins, not random logits."""
    templates = torch.from_numpy(smooth_images(rng, 10, 1, 28, 28, scale=7))

    def batch(n):
        y = torch.from_numpy(rng.integers(0, 10, n))
        x = templates[y] + 0.8 * torch.from_numpy(rng.standard_normal((n, 1, 28, 28)).astype(np.float32))
        return torch.roll(x, shifts=(int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), dims=(2, 3)), y

    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for _ in range(steps):
        x, y = batch(64)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    return batch


# ---------------------------------------------------------------- the zoo


def zoo(n):
    """name -> builder(rng) returning a dict: model, inputs (list of (name, np.ndarray)), outputs (names), opset,
    dynamic_axes or None, script (bool), family, tests, classifier (bool)."""
    Z = {}

    def entry(name, family, tests):
        def deco(fn):
            Z[name] = dict(fn=fn, family=family, tests=tests)
            return fn
        return deco

    batch_axis = lambda names: {k: {0: "batch"} for k in names}

    @entry("cnn_relu", "simple CNN (trained 150 steps on synthetic templates)",
           "the baseline: the example's architecture, 1-channel float stem, Gemm head; top-1 on confident logits")
    def _(rng):
        torch.manual_seed(1)
        m = CnnRelu()
        batch = train_cnn_relu(m, rng)
        x, _ = batch(n)
        return dict(model=m, inputs=[("input", x.numpy())], outputs=["logits"], opset=13,
                    dynamic_axes=batch_axis(["input", "logits"]), classifier=True)

    @entry("mlp", "MLP", "Gemm only (no Conv), Tanh, a 2-D input [N, 64]")
    def _(rng):
        torch.manual_seed(2)
        return dict(model=Mlp(), inputs=[("x", rng.standard_normal((n, 64)).astype(np.float32))], outputs=["logits"],
                    opset=13, dynamic_axes=batch_axis(["x", "logits"]), classifier=True)

    @entry("cnn_nhwc", "simple CNN, channels-last input", "an NHWC input transposed in-graph, BatchNorm folded, LeakyRelu")
    def _(rng):
        torch.manual_seed(3)
        x = smooth_images(rng, n, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        m = CnnNhwc()
        calibrate_batchnorm(m, [(torch.from_numpy(x),)])
        return dict(model=m, inputs=[("image_nhwc", x)], outputs=["logits"], opset=13,
                    dynamic_axes=batch_axis(["image_nhwc", "logits"]), classifier=True)

    @entry("tcn_conv1d", "temporal CNN", "Conv1d with dilations 1..8, residual Adds, ReduceMean over time, 3-D input")
    def _(rng):
        torch.manual_seed(4)
        x = rng.standard_normal((n, 8, 128)).astype(np.float32)
        return dict(model=Tcn(), inputs=[("signal", x)], outputs=["logits"], opset=13,
                    dynamic_axes=batch_axis(["signal", "logits"]), classifier=True)

    @entry("cnn_fixed_batch1", "simple CNN, static shapes", "a model exported with batch fixed to 1 (no dynamic_axes)")
    def _(rng):
        torch.manual_seed(5)
        x = smooth_images(rng, n, 1, 28, 28, scale=7)
        return dict(model=CnnRelu(), inputs=[("input", x)], outputs=["logits"], opset=13, dynamic_axes=None,
                    classifier=True)

    @entry("resnet50", "torchvision ResNet-50 (random, BatchNorm stats from the samples)",
           "a deep residual CNN (53 Conv, 16 residual Adds), 3x64x64 input instead of 224 to stay fast")
    def _(rng):
        torch.manual_seed(6)
        m = torchvision.models.resnet50(weights=None, num_classes=100)
        x = smooth_images(rng, n, 3, 64, 64)
        calibrate_batchnorm(m, [(torch.from_numpy(x),)])
        return dict(model=m, inputs=[("images", x)], outputs=["logits"], opset=13,
                    dynamic_axes=batch_axis(["images", "logits"]), classifier=True)

    @entry("mobilenet_v3_small", "torchvision MobileNetV3-small",
           "Hardswish, Hardsigmoid squeeze-excite (GlobalAveragePool, Mul), depthwise Convs, 3x64x64")
    def _(rng):
        torch.manual_seed(7)
        m = torchvision.models.mobilenet_v3_small(weights=None, num_classes=100)
        x = smooth_images(rng, n, 3, 64, 64)
        calibrate_batchnorm(m, [(torch.from_numpy(x),)])
        return dict(model=m, inputs=[("images", x)], outputs=["logits"], opset=13,
                    dynamic_axes=batch_axis(["images", "logits"]), classifier=True)

    @entry("efficientnet_b0", "torchvision EfficientNet-B0",
           "SiLU (Sigmoid x Mul), squeeze-excite, depthwise 5x5, 3x64x64")
    def _(rng):
        torch.manual_seed(8)
        m = torchvision.models.efficientnet_b0(weights=None, num_classes=100)
        x = smooth_images(rng, n, 3, 64, 64)
        calibrate_batchnorm(m, [(torch.from_numpy(x),)])
        return dict(model=m, inputs=[("images", x)], outputs=["logits"], opset=13,
                    dynamic_axes=batch_axis(["images", "logits"]), classifier=True)

    @entry("mobilenet_v2_opset11", "torchvision MobileNetV2 x0.5, opset 11",
           "an opset-11 export: ReLU6 as Clip with min/max inputs, inverted residuals")
    def _(rng):
        torch.manual_seed(9)
        m = torchvision.models.mobilenet_v2(weights=None, width_mult=0.5, num_classes=100)
        x = smooth_images(rng, n, 3, 64, 64)
        calibrate_batchnorm(m, [(torch.from_numpy(x),)])
        return dict(model=m, inputs=[("images", x)], outputs=["logits"], opset=11,
                    dynamic_axes=batch_axis(["images", "logits"]), classifier=True)

    @entry("unet_tiny_opset9", "encoder-decoder (segmentation), opset 9",
           "an opset-9 export: the deprecated Upsample op, BatchNormalization, Concat skip; a dense [N, 4, H, W] output")
    def _(rng):
        torch.manual_seed(10)
        m = UNetTiny()
        x = smooth_images(rng, n, 3, 32, 32)
        calibrate_batchnorm(m, [(torch.from_numpy(x),)])
        return dict(model=m, inputs=[("image", x)], outputs=["mask_logits"], opset=9,
                    dynamic_axes=batch_axis(["image", "mask_logits"]), classifier=False)

    @entry("vit_tiny", "ViT (2 blocks, dim 64, 4 heads, 8x8 patches of 32x32)",
           "decomposed LayerNorm (opset 13), GELU as Erf, Softmax, batched MatMul between activations, reshapes and "
           "the attention scale computed from the input's shape (rank-0 Shape/Gather/Pow nodes, as exported)")
    def _(rng):
        torch.manual_seed(11)
        x = smooth_images(rng, n, 3, 32, 32)
        return dict(model=VitTiny(), inputs=[("pixel_values", x)], outputs=["logits"], opset=13,
                    dynamic_axes=batch_axis(["pixel_values", "logits"]), classifier=True)

    @entry("vit_tiny_opset17", "the same ViT, opset 17, no shape arithmetic",
           "LayerNormalization as one op (opset 17); reshapes with constants and -1, no rank-0 shape tensors")
    def _(rng):
        torch.manual_seed(11)
        x = smooth_images(rng, n, 3, 32, 32)
        return dict(model=VitTiny(shape_arithmetic=False), inputs=[("pixel_values", x)], outputs=["logits"], opset=17,
                    dynamic_axes=batch_axis(["pixel_values", "logits"]), classifier=True)

    @entry("bert_tiny", "BERT-like encoder (2 layers, dim 64)",
           "two int64 inputs (input_ids, attention_mask) with dynamic batch and sequence, Gather embeddings, "
           "additive attention mask, decomposed LayerNorm, GELU")
    def _(rng):
        torch.manual_seed(12)
        s = 16
        ids = rng.integers(1, 1000, (n, s)).astype(np.int64)
        lengths = rng.integers(6, s + 1, n)
        mask = (np.arange(s)[None, :] < lengths[:, None]).astype(np.int64)
        ids = ids * mask
        ids[:, 0] = 101
        dyn = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
               "logits": {0: "batch"}}
        return dict(model=BertTiny(), inputs=[("input_ids", ids), ("attention_mask", mask)], outputs=["logits"],
                    opset=13, dynamic_axes=dyn, classifier=True)

    @entry("lstm", "LSTM (1 layer, 32 units) + Linear",
           "three inputs: sequence [N, T, F] and state h0, c0 [1, N, H] (batch on axis 1); outputs logits, hn, cn")
    def _(rng):
        torch.manual_seed(13)
        x = rng.standard_normal((n, 20, 12)).astype(np.float32)
        h0 = (0.1 * rng.standard_normal((1, n, 32))).astype(np.float32)
        c0 = (0.1 * rng.standard_normal((1, n, 32))).astype(np.float32)
        dyn = {"x": {0: "batch", 1: "time"}, "h0": {1: "batch"}, "c0": {1: "batch"}, "logits": {0: "batch"},
               "hn": {1: "batch"}, "cn": {1: "batch"}}
        return dict(model=RnnLstm(), inputs=[("x", x), ("h0", h0), ("c0", c0)], outputs=["logits", "hn", "cn"],
                    opset=13, dynamic_axes=dyn, classifier=True, state_batch_axis=1)

    @entry("gru", "GRU (32 units) + Linear per step",
           "two inputs: sequence and state h0 [1, N, H]; a per-step output [N, T, 5] and hn")
    def _(rng):
        torch.manual_seed(14)
        x = rng.standard_normal((n, 20, 12)).astype(np.float32)
        h0 = (0.1 * rng.standard_normal((1, n, 32))).astype(np.float32)
        dyn = {"x": {0: "batch", 1: "time"}, "h0": {1: "batch"}, "y": {0: "batch", 1: "time"}, "hn": {1: "batch"}}
        return dict(model=RnnGru(), inputs=[("x", x), ("h0", h0)], outputs=["y", "hn"], opset=13, dynamic_axes=dyn,
                    classifier=False, state_batch_axis=1)

    @entry("if_flag", "scripted CNN with a branch on a boolean input",
           "torch.jit.script export: an ONNX If on a bool input 'flag' (scalar per call), a Conv in each branch")
    def _(rng):
        torch.manual_seed(15)
        x = smooth_images(rng, n, 3, 32, 32)
        flag = np.ones((n,), dtype=np.bool_)  # per sample a scalar; the model takes a 0-d bool
        return dict(model=IfFlag(), inputs=[("x", x), ("flag", flag)], outputs=["logits"], opset=13,
                    dynamic_axes=batch_axis(["x", "logits"]), script=True, classifier=True, scalar_inputs=["flag"])

    @entry("if_data", "scripted CNN with a data-dependent branch",
           "torch.jit.script export: one float input, an If whose condition is computed from it (ReduceMean > 0.25); "
           "samples 0-15 take the Conv branch, 16-31 the other")
    def _(rng):
        torch.manual_seed(16)
        x = smooth_images(rng, n, 3, 32, 32)
        x[: n // 2] += 0.5  # input mean ~0.5: the Conv branch; the other half (mean ~0) the scaling branch
        return dict(model=IfData(), inputs=[("x", x)], outputs=["logits"], opset=13,
                    dynamic_axes=batch_axis(["x", "logits"]), script=True, classifier=True, per_sample=True)

    @entry("spectrogram", "audio: STFT front-end + CNN",
           "Conv1d with fixed cos/sin kernels (n_fft 256, hop 128), Mul/Add power, Log, then Conv2d; a raw "
           "waveform input [N, 1, 4000]")
    def _(rng):
        torch.manual_seed(17)
        t = np.arange(4000) / 8000.0
        f = rng.uniform(100, 3000, (n, 3))
        wave = sum(np.sin(2 * np.pi * f[:, i:i + 1] * t[None, :]) / (i + 1) for i in range(3))
        wave = (wave + 0.05 * rng.standard_normal((n, 4000)))[:, None, :].astype(np.float32)
        return dict(model=Spectrogram(), inputs=[("waveform", wave)], outputs=["logits"], opset=13,
                    dynamic_axes=batch_axis(["waveform", "logits"]), classifier=True)

    @entry("detection_head", "single-stage detector head (2 levels)",
           "six outputs (class logits, boxes, Sigmoid objectness at strides 8 and 16), nearest Resize, 3x64x64")
    def _(rng):
        torch.manual_seed(18)
        m = DetectionHead()
        x = smooth_images(rng, n, 3, 64, 64)
        calibrate_batchnorm(m, [(torch.from_numpy(x),)])
        outs = ["cls_p3", "box_p3", "obj_p3", "cls_p4", "box_p4", "obj_p4"]
        return dict(model=m, inputs=[("images", x)], outputs=outs, opset=13,
                    dynamic_axes=batch_axis(["images"] + outs), classifier=False)

    return Z


# ---------------------------------------------------------------- export and references


ONNX_DTYPES = {1: "float32", 6: "int32", 7: "int64", 9: "bool", 10: "float16", 11: "float64"}


def value_info(v):
    t = v.type.tensor_type
    dims = [d.dim_param if d.dim_param else (d.dim_value if d.HasField("dim_value") else "?") for d in t.shape.dim]
    return dict(name=v.name, dtype=ONNX_DTYPES.get(t.elem_type, str(t.elem_type)), shape=dims,
                dynamic_dims=[i for i, d in enumerate(dims) if not isinstance(d, int)])


def as_tuple(y):
    return tuple(y) if isinstance(y, (tuple, list)) else (y,)


def build(name, spec, n, out_dir):
    t0 = time.time()
    rng = np.random.default_rng(sum(map(ord, name)))  # hash() is salted per process
    d = spec["fn"](rng)
    model = d["model"].eval()
    inputs = d["inputs"]
    scalar = set(d.get("scalar_inputs", []))
    state_axis = d.get("state_batch_axis")
    folder = os.path.join(out_dir, name)
    os.makedirs(os.path.join(folder, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(folder, "reference"), exist_ok=True)
    onnx_path = os.path.join(folder, name + ".onnx")

    def sample_args(lo, hi):
        """The model's arguments for samples lo..hi-1 (state inputs keep their batch on axis 1)."""
        args = []
        for iname, arr in inputs:
            if iname in scalar:
                args.append(torch.tensor(bool(arr[lo])))
            elif state_axis is not None and arr.ndim == 3 and iname != "x":
                args.append(torch.from_numpy(arr[:, lo:hi].copy()))
            else:
                args.append(torch.from_numpy(arr[lo:hi].copy()))
        return tuple(args)

    to_export = torch.jit.script(model) if d.get("script") else model
    export_batch = 1 if d["dynamic_axes"] is None else 2
    with torch.no_grad():
        torch.onnx.export(to_export, sample_args(0, export_batch), onnx_path, input_names=[i for i, _ in inputs],
                          output_names=d["outputs"], dynamic_axes=d["dynamic_axes"], opset_version=d["opset"],
                          do_constant_folding=True)
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)

    # references: per sample for models that cannot batch (fixed batch, scalar flag, data-dependent If)
    per_sample = d["dynamic_axes"] is None or scalar or d.get("per_sample")
    outs = []
    with torch.no_grad():
        if per_sample:
            outs = [as_tuple(model(*sample_args(i, i + 1))) for i in range(n)]
            cat_axis = [1 if (state_axis is not None and o.dim() == 3 and j > 0) else 0 for j, o in enumerate(outs[0])]
            # the state outputs (hn, cn) keep the batch on axis 1, as their inputs
            refs = [torch.cat([o[j] for o in outs], dim=cat_axis[j]).numpy() for j in range(len(outs[0]))]
        else:
            refs = [o.numpy() for o in as_tuple(model(*sample_args(0, n)))]
    ref_names = d["outputs"]
    out_axis = [1 if (state_axis is not None and r.ndim == 3 and j > 0) else 0 for j, r in enumerate(refs)]
    for iname, arr in inputs:
        np.save(os.path.join(folder, "inputs", iname + ".npy"), arr)
    np.savez(os.path.join(folder, "inputs.npz"), **{k: v for k, v in inputs})
    for oname, arr in zip(ref_names, refs):
        np.save(os.path.join(folder, "reference", oname + ".npy"), arr)
    np.savez(os.path.join(folder, "reference.npz"), **dict(zip(ref_names, refs)))
    labels = None
    if d.get("classifier"):
        labels = refs[0].argmax(axis=-1).astype(np.int64)
        np.save(os.path.join(folder, "labels.npy"), labels)

    opset = max((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), default=None)
    ops = sorted({node.op_type for node in m.graph.node})
    entry = dict(
        name=name, family=spec["family"], tests=spec["tests"],
        exporter="torch.onnx.export(torch.jit.script(model))" if d.get("script") else "torch.onnx.export (trace)",
        file=f"{name}/{name}.onnx", opset=opset, samples=n,
        inputs=[dict(value_info(v), samples_file=f"{name}/inputs/{v.name}.npy",
                     samples_shape=list(dict(inputs)[v.name].shape),
                     sample_axis=(None if v.name in scalar else (1 if state_axis is not None and dict(inputs)[v.name].ndim == 3
                                                                  and v.name != "x" else 0)))
                for v in m.graph.input],
        outputs=[dict(value_info(v), reference_file=f"{name}/reference/{v.name}.npy",
                      reference_shape=list(refs[i].shape), sample_axis=out_axis[i]) for i, v in enumerate(m.graph.output)],
        classifier=bool(d.get("classifier")),
        labels_file=f"{name}/labels.npy" if labels is not None else None,
        op_types=ops, nodes=len(m.graph.node), size_bytes=os.path.getsize(onnx_path),
        torch=torch.__version__, torchvision=torchvision.__version__)
    print(f"{name:22s} opset {opset:2d}  {len(m.graph.node):4d} nodes  {os.path.getsize(onnx_path) / 1e6:7.2f} MB  "
          f"inputs {', '.join(i for i, _ in inputs)}  {time.time() - t0:5.1f} s", flush=True)
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "target"))
    ap.add_argument("--only", default=None, help="comma-separated model names (default: all)")
    ap.add_argument("--samples", type=int, default=32, help="samples per model (calibration and evaluation)")
    a = ap.parse_args()
    models = zoo(a.samples)
    names = list(models) if not a.only else a.only.split(",")
    unknown = [x for x in names if x not in models]
    if unknown:
        sys.exit(f"unknown model(s) {unknown}; known: {', '.join(models)}")
    os.makedirs(a.out, exist_ok=True)
    manifest_path = os.path.join(a.out, "manifest.json")
    previous = {}
    if a.only and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            previous = {m["name"]: m for m in json.load(f)["models"]}
    failed = []
    for name in names:
        try:
            previous[name] = build(name, models[name], a.samples, a.out)
        except Exception as e:  # keep going: the manifest records what was built
            failed.append(name)
            print(f"{name:22s} FAILED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", flush=True)
    ordered = [previous[n] for n in models if n in previous]
    with open(manifest_path, "w") as f:
        json.dump(dict(generator="benchmarks/zoo/build_zoo.py", torch=torch.__version__,
                       torchvision=torchvision.__version__, onnx=onnx.__version__, samples=a.samples,
                       models=ordered), f, indent=1)
    print(f"{len(ordered)} models in {manifest_path}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
