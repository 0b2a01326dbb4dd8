#!/usr/bin/python3
"""Scale benchmark (issue 18): pot4j's whole `bin/pot quantize` process against PyTorch FX post-training
quantization of the same model and calibration inputs, both cold processes, alternated; wall time and peak RSS.

    /usr/bin/python3 benchmarks/scale/scale.py build [--out benchmarks/scale/target] [--only a,b]
    /usr/bin/python3 benchmarks/scale/scale.py run [--dir benchmarks/scale/target] [--rounds 2] [--only a,b]

`build` makes, with Debian's torch/torchvision (random seeded weights: accuracy is not the point), per model:
<name>.onnx, <name>.pt (the same weights, for PyTorch), calib.npy (300 inputs) and job.json (DefaultQuantization,
CPU, the npy loader, stat_subset_size 300). `run` needs the built distribution (mvn -q -o install -DskipTests) and
prints, per model, the median wall time and peak RSS of each side over the rounds and their ratios (pot4j / PyTorch).
Peak RSS is the child's ru_maxrss from wait4 (the process and the children it waited for).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
POT = os.path.join(ROOT, "runtime", "target", "pot4j", "bin", "pot")
MODELS = ["resnet50", "mobilenet_v3_large", "efficientnet_b0", "bert_like", "cnn_relu"]
# built and run by pot4j alone (no PyTorch side): weights in external data over protobuf's 2 GB (issue 18, acceptance 3)
LARGE = "large_external"
LARGE_WIDTH = 16384
LARGE_LAYERS = 3
LARGE_SAMPLES = 16
SAMPLES = 300
SEQUENCE = 128
BATCH = 8


def cnn_relu_class():
    import torch

    class CnnRelu(torch.nn.Module):
        """examples/fashion-mnist/models/cnn_relu.onnx's architecture (its weights are loaded from the ONNX file)."""

        def __init__(self):
            super().__init__()
            n = torch.nn
            self.features = n.Sequential(n.Conv2d(1, 32, 3, padding=1), n.ReLU(), n.Conv2d(32, 32, 3, padding=1),
                                         n.ReLU(), n.MaxPool2d(2), n.Conv2d(32, 64, 3, padding=1), n.ReLU(),
                                         n.Conv2d(64, 64, 3, padding=1), n.ReLU(), n.MaxPool2d(2))
            self.classifier = n.Sequential(n.Flatten(), n.Linear(64 * 7 * 7, 128), n.ReLU(), n.Linear(128, 10))

        def forward(self, x):
            return self.classifier(self.features(x))

    return CnnRelu


def cnn_relu_model():
    """CnnRelu with the shipped model's weights (its initializers in parameter order: Conv/Gemm weight, bias)."""
    import onnx
    import torch
    from onnx import numpy_helper
    model = cnn_relu_class()()
    graph = onnx.load(os.path.join(ROOT, "examples", "fashion-mnist", "models", "cnn_relu.onnx")).graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    layers = [n for n in graph.node if n.op_type in ("Conv", "Gemm")]
    modules = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        for node, module in zip(layers, modules):
            weight = weights[node.input[1]]
            transposed = any(a.name == "transB" and a.i == 0 for a in node.attribute)
            module.weight.copy_(torch.from_numpy(weight.T.copy() if transposed else weight))
            module.bias.copy_(torch.from_numpy(weights[node.input[2]]))
    return model.eval()


def cnn_relu_inputs():
    """The example's 300 calibration images, normalized as its job does."""
    import gzip
    import numpy as np
    import torch
    path = os.path.join(ROOT, "examples", "fashion-mnist", "data", "calib-300-images-idx3-ubyte.gz")
    with gzip.open(path) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)[:SAMPLES]
    return torch.from_numpy(((images.astype(np.float32) - 72.93) / 90.015).copy())


def build_large(out):
    """A model of LARGE_LAYERS MatMuls of LARGE_WIDTH x LARGE_WIDTH (3 GB of float weights), saved with its weights
    in one external data file (onnx.save_model, as exporters do above 2 GB), and LARGE_SAMPLES inputs."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    folder = os.path.join(out, LARGE)
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(18)
    nodes, initializers, previous = [], [], "input"
    for layer in range(LARGE_LAYERS):
        weight = (rng.standard_normal((LARGE_WIDTH, LARGE_WIDTH), dtype=np.float32) / LARGE_WIDTH ** 0.5)
        initializers.append(numpy_helper.from_array(weight, f"w{layer}"))
        del weight
        nodes.append(helper.make_node("MatMul", [previous, f"w{layer}"], [f"m{layer}"], name=f"matmul{layer}"))
        nodes.append(helper.make_node("Relu" if layer < LARGE_LAYERS - 1 else "Identity", [f"m{layer}"],
                                      [f"a{layer}" if layer < LARGE_LAYERS - 1 else "output"], name=f"act{layer}"))
        previous = f"a{layer}"
    graph = helper.make_graph(nodes, LARGE, [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                           ["N", LARGE_WIDTH])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", LARGE_WIDTH])],
                              initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save_model(model, os.path.join(folder, LARGE + ".onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=LARGE + ".onnx.data", size_threshold=1024)
    np.save(os.path.join(folder, "calib.npy"), rng.standard_normal((LARGE_SAMPLES, LARGE_WIDTH), dtype=np.float32))
    write_job(folder, LARGE, "input", LARGE_SAMPLES)
    size = (os.path.getsize(os.path.join(folder, LARGE + ".onnx"))
            + os.path.getsize(os.path.join(folder, LARGE + ".onnx.data"))) / 1e6
    print(f"built {LARGE}: {size:.0f} MB ONNX (external data), calibration ({LARGE_SAMPLES}, {LARGE_WIDTH})", flush=True)


def write_job(folder, name, input_name, samples):
    job = {
        "model": {"model_name": name, "model": os.path.join(folder, name + ".onnx")},
        "engine": {"type": "accuracy_checker", "batch_size": BATCH,
                   "dataset": {"loader": "npy", "data": os.path.join(folder, "calib.npy")}},
        "compression": {"target_device": "CPU", "algorithms": [
            {"name": "DefaultQuantization", "params": {"preset": "performance", "stat_subset_size": samples}}]},
    }
    with open(os.path.join(folder, "job.json"), "w") as f:
        json.dump(job, f, indent=2)


def make(name):
    """The model and its calibration inputs (seeded)."""
    import torch
    import torchvision
    torch.manual_seed(18)
    if name == "cnn_relu":
        return cnn_relu_model(), cnn_relu_inputs()
    if name == "bert_like":
        model = BertLike()
        inputs = torch.randint(0, BertLike.VOCAB, (SAMPLES, SEQUENCE), dtype=torch.int64)
        return model.eval(), inputs
    model = getattr(torchvision.models, name)(weights=None)
    inputs = torch.randn(SAMPLES, 3, 224, 224)
    # random weights with default BatchNorm statistics explode or vanish through 50 layers: take the running
    # statistics from one train-mode pass over some of the inputs
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.momentum = None
    model.train()
    with torch.no_grad():
        model(inputs[:32])
    return model.eval(), inputs


def bert_like_class():
    import torch

    class Block(torch.nn.Module):
        def __init__(self, hidden=768, heads=12, ffn=3072):
            super().__init__()
            self.heads = heads
            self.qkv = torch.nn.Linear(hidden, 3 * hidden)
            self.out = torch.nn.Linear(hidden, hidden)
            self.norm1 = torch.nn.LayerNorm(hidden)
            self.up = torch.nn.Linear(hidden, ffn)
            self.down = torch.nn.Linear(ffn, hidden)
            self.norm2 = torch.nn.LayerNorm(hidden)

        def forward(self, x):
            n, s, h = x.shape
            q, k, v = self.qkv(x).reshape(n, s, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
            attention = torch.softmax(q @ k.transpose(-1, -2) / (h // self.heads) ** 0.5, dim=-1)
            context = (attention @ v).transpose(1, 2).reshape(n, s, h)
            x = self.norm1(x + self.out(context))
            return self.norm2(x + self.down(torch.nn.functional.gelu(self.up(x))))

    class Model(torch.nn.Module):
        """A BERT-base-sized encoder: 12 blocks of 768, token + position embeddings, int64 input_ids."""
        VOCAB = 30522

        def __init__(self):
            super().__init__()
            self.tokens = torch.nn.Embedding(self.VOCAB, 768)
            self.positions = torch.nn.Parameter(torch.randn(1, SEQUENCE, 768) * 0.02)
            self.blocks = torch.nn.Sequential(*[Block() for _ in range(12)])
            self.pool = torch.nn.Linear(768, 768)

        def forward(self, input_ids):
            x = self.tokens(input_ids) + self.positions
            return torch.tanh(self.pool(self.blocks(x)[:, 0]))

    return Model


class _Lazy:
    def __getattr__(self, item):
        return getattr(bert_like_class(), item)

    def __call__(self):
        return bert_like_class()()


BertLike = _Lazy()


def build(out, only):
    import numpy as np
    import torch
    os.makedirs(out, exist_ok=True)
    for name in only:
        if name == LARGE:
            build_large(out)
            continue
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        model, inputs = make(name)
        input_name = "input_ids" if name == "bert_like" else "input"
        torch.save(model.state_dict(), os.path.join(folder, name + ".pt"))
        np.save(os.path.join(folder, "calib.npy"), inputs.numpy())
        with torch.no_grad():
            torch.onnx.export(model, (inputs[:1],), os.path.join(folder, name + ".onnx"), opset_version=13,
                              input_names=[input_name], output_names=["output"],
                              dynamic_axes={input_name: {0: "N"}, "output": {0: "N"}})
        write_job(folder, name, input_name, SAMPLES)
        size = os.path.getsize(os.path.join(folder, name + ".onnx")) / 1e6
        print(f"built {name}: {size:.0f} MB ONNX, calibration {tuple(inputs.shape)}", flush=True)


def fx(name, folder):
    """PyTorch FX post-training static quantization, as a user runs it: load, prepare, calibrate, convert, save."""
    import numpy as np
    import torch
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.set_num_threads(os.cpu_count())
    model, _ = (BertLike().eval(), None) if name == "bert_like" else (None, None)
    if name == "cnn_relu":
        model = cnn_relu_class()().eval()
    elif model is None:
        import torchvision
        model = getattr(torchvision.models, name)(weights=None).eval()
    model.load_state_dict(torch.load(os.path.join(folder, name + ".pt")))
    inputs = torch.from_numpy(np.load(os.path.join(folder, "calib.npy")))
    prepared = prepare_fx(model, get_default_qconfig_mapping("fbgemm"), example_inputs=(inputs[:1],))
    with torch.no_grad():
        for start in range(0, len(inputs), BATCH):
            prepared(inputs[start:start + BATCH])
    quantized = convert_fx(prepared)
    torch.save(quantized.state_dict(), os.path.join(folder, name + ".fx-int8.pt"))


def measure(command, log):
    """Wall seconds and peak RSS (MB) of one cold process (and the children it waited for)."""
    start = time.monotonic()
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    # CPU seconds (user + system): on a machine shared with other work the wall time measures the others too
    return seconds, usage.ru_maxrss / 1024, code, usage.ru_utime + usage.ru_stime


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2


def pot4j_command(model_dir, state):
    return ["env", f"POT4J_JAVA_OPTS=-Dpot4j.state.dir={state}", POT, "quantize",
            "-c", os.path.join(model_dir, "job.json"), "-o", os.path.join(model_dir, "out")]


def run(folder, only, rounds):
    if not os.access(POT, os.X_OK):
        sys.exit(f"no {POT}: build the distribution first (mvn -q -o install -DskipTests)")
    rows = []
    for name in only:
        model_dir = os.path.join(folder, name)
        figures = {"pot4j": [], "pot4j-warm": [], "pytorch": []}
        for round_ in range(rounds):
            # alternated, pot4j first in even rounds; pot4j starts cold: its statistics cache is in a fresh state dir;
            # then warm: the same state again (the statistics cache answers, as on a user's second run)
            order = ["pot4j", "pytorch"] if round_ % 2 == 0 else ["pytorch", "pot4j"]
            if name == LARGE:
                order = ["pot4j"]
            for side in order:
                log = os.path.join(model_dir, f"{side}-{round_}.log")
                state = os.path.join(model_dir, f"state-{round_}")
                if side == "pot4j":
                    subprocess.run(["rm", "-rf", state, os.path.join(model_dir, "out")], check=True)
                    runs = [("pot4j", log), ("pot4j-warm", os.path.join(model_dir, f"pot4j-warm-{round_}.log"))]
                else:
                    runs = [("pytorch", log)]
                for label, run_log in runs:
                    command = pot4j_command(model_dir, state) if label.startswith("pot4j") else [
                        "/usr/bin/python3", os.path.abspath(__file__), "fx", name, model_dir]
                    seconds, rss, code, cpu = measure(command, run_log)
                    figures[label].append((seconds, rss, code, cpu))
                    print(f"  {name:20s} round {round_} {label:10s} {seconds:7.1f} s  {cpu:7.1f} s CPU  {rss:7.0f} MB"
                          f"  exit {code}  ({run_log})", flush=True)
        onnx_mb = sum(os.path.getsize(os.path.join(model_dir, f)) for f in os.listdir(model_dir)
                      if f.startswith(name + ".onnx")) / 2 ** 20
        rows.append((name, onnx_mb, figures))
    print()
    print("| model | ONNX MB | pot4j wall s (warm) | PyTorch FX wall s | ratio | CPU s pot4j / PyTorch | ratio "
          "| pot4j peak RSS MB | PyTorch peak RSS MB | ratio | RSS / (3 x model + 300 MB) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, mb, figures in rows:
        pot, warm, torch_ = figures["pot4j"], figures["pot4j-warm"], figures["pytorch"]
        ok = all(f[2] == 0 for f in pot + warm + torch_)
        flag = "" if ok else " (a run FAILED: see its log)"
        pw, pr, ww = median([f[0] for f in pot]), median([f[1] for f in pot]), median([f[0] for f in warm])
        pc = median([f[3] for f in pot])
        if torch_:
            tw, tr, tc = median([f[0] for f in torch_]), median([f[1] for f in torch_]), median([f[3] for f in torch_])
            print(f"| {name}{flag} | {mb:.0f} | {pw:.1f} ({ww:.1f}) | {tw:.1f} | {pw / tw:.2f} | {pc:.1f} / {tc:.1f} "
                  f"| {pc / tc:.2f} | {pr:.0f} | {tr:.0f} | {pr / tr:.2f} | {pr / (3 * mb + 300):.2f} |")
        else:
            print(f"| {name}{flag} | {mb:.0f} | {pw:.1f} ({ww:.1f}) | - | - | {pc:.1f} / - | - | {pr:.0f} | - | - "
                  f"| {pr / (3 * mb + 300):.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--out", default=os.path.join(HERE, "target"))
    b.add_argument("--only", default=",".join(MODELS + [LARGE]))
    r = sub.add_parser("run")
    r.add_argument("--dir", default=os.path.join(HERE, "target"))
    r.add_argument("--only", default=",".join(MODELS + [LARGE]))
    r.add_argument("--rounds", type=int, default=2)
    f = sub.add_parser("fx")
    f.add_argument("name")
    f.add_argument("folder")
    args = parser.parse_args()
    if args.command == "build":
        build(args.out, args.only.split(","))
    elif args.command == "run":
        run(args.dir, args.only.split(","), args.rounds)
    else:
        fx(args.name, args.folder)


if __name__ == "__main__":
    main()
