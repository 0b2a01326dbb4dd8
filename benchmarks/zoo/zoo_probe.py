#!/usr/bin/python3
"""Experiments on a zoo model's fidelity (issue 12: name the cause of a low cosine by an experiment that changes it).

    zoo_probe.py quantize ZOO NAME OUT LABEL [KEY=JSON ...]
        a pot4j DefaultQuantization job as run_zoo.sh makes it, with parameters overridden (dotted keys into the
        algorithm's params, e.g. preset='"mixed"', weights.granularity='"pertensor"',
        activations.range_estimator.max.aggregator='"max"', latency_check=false, ignored_scope.types='["Mul"]');
        prints LABEL, quantized / candidates and pot4j's INT8-vs-FP32 cosine; the model is OUT/LABEL/NAME/optimized.
    zoo_probe.py qdq ZOO NAME INT8.onnx [--units all|weights|layers] [--types T,..] [--prefix P]
        variants of a quantized (QDQ) model, each run on the zoo's samples by ZooFidelity.java (ONNX Runtime Java):
        every quantized input put back to float ("float all", a sanity check: 1.0; also without restoring the float
        parameters pot4j edited, such as a channel alignment's shifted biases), weights
        only (activations float), activations only (weights float: the FP32 model's weights and biases), one op
        type float at a time, and per unit (a node reading quantized inputs: Conv, Add, Sigmoid, a float op after an
        output quantizer ...) "all but this unit" and "only this unit" quantized (--units layers: only nodes with
        weights; --types: only those op types). Prints one line per variant, sorted by the loss each unit explains.
    zoo_probe.py fx ZOO NAME
        the same torch model (build_zoo.py's builder) through PyTorch FX post-training quantization (fbgemm, or
        onednn where torch has no fbgemm as Debian's 1.13: per-channel symmetric weights, per-tensor affine
        activations with histogram observers)
        calibrated on the zoo's samples: what 8 bits cost on this random-weight network with torch's own recipe.

Needs the built distribution (runtime/target/pot4j, or POT4J_HOME) for quantize and qdq, Debian's torch for fx. Writes nothing
outside OUT (quantize) or a temporary folder (qdq).
"""
import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DIST = os.environ.get("POT4J_HOME", os.path.join(ROOT, "runtime", "target", "pot4j"))  # another build to compare
POT = os.path.join(DIST, "bin", "pot")
sys.path.insert(0, HERE)
import zoo_run  # noqa: E402


def set_dotted(params, key, value):
    node = params
    parts = key.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def quantize(zoo, name, out, label, overrides):
    job = zoo_run.job(zoo, name)
    params = job["compression"]["algorithms"][0]["params"]
    for o in overrides:
        key, _, value = o.partition("=")
        set_dotted(params, key, json.loads(value))
    folder = os.path.join(out, label)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    job_file = os.path.join(folder, "job.json")
    with open(job_file, "w") as f:
        json.dump(job, f, indent=1)
    r = subprocess.run(["nice", POT, "quantize", "-c", job_file, "-o", folder], capture_output=True, text=True)
    report = zoo_run.read_json(os.path.join(folder, name, "report.json"))
    if r.returncode != 0 or not report:
        print(f"{label}: exit {r.returncode}: {r.stderr.strip().splitlines()[-1:] }")
        return None
    mm = report.get("min_max_quantization") or {}
    q = mm.get("quantized_nodes")
    cand = q + len(report.get("ignored_nodes") or [])
    cos = (report.get("int8") or {}).get("metrics", {}).get("similarity_cosine")
    print(f"{label:40s} {q:4d} / {cand:<4d} cosine {cos:.4f}   {' '.join(overrides)}", flush=True)
    return os.path.join(folder, name, "optimized", name + ".onnx")


# ------------------------------------------------------------------------------------------------- QDQ variants

class Qdq:
    """A QDQ model's quantized inputs: (consumer node index, input index) -> (kind, float tensor or weight)."""

    def __init__(self, int8_path, fp32_path, keep_biases=False):
        import onnx
        from onnx import numpy_helper
        self.onnx = onnx
        self.model = onnx.load(int8_path)
        fp32 = onnx.load(fp32_path)
        g = self.model.graph
        self.inits = {i.name for i in g.initializer}
        producer = {o: n for n in g.node for o in n.output}
        fp32_nodes = {n.name: n for n in fp32.graph.node}
        self.fp32_inits = {i.name: i for i in fp32.graph.initializer}
        self.points = {}   # (node index, input index) -> ("activation", float tensor) | ("weight", fp32 initializer name)
        self.units = []    # node indices reading at least one quantized input, graph order
        for k, n in enumerate(g.node):
            if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
                continue
            for i, t in enumerate(n.input):
                dq = producer.get(t)
                if dq is None or dq.op_type != "DequantizeLinear":
                    continue
                if dq.input[0] in self.inits:
                    original = fp32_nodes.get(n.name)
                    if original is None or i >= len(original.input) or original.input[i] not in self.fp32_inits:
                        continue  # no FP32 counterpart: leave it quantized
                    self.points[(k, i)] = ("weight", original.input[i])
                    # the bias (bias correction changed it) goes back to FP32 with the weight
                    if not keep_biases and n.op_type in ("Conv", "Gemm", "ConvTranspose") and len(n.input) > 2 \
                            and len(original.input) > 2 \
                            and original.input[2] in self.fp32_inits:
                        self.points[(k, 2)] = ("bias", original.input[2])
                else:
                    q = producer.get(dq.input[0])
                    if q is not None and q.op_type == "QuantizeLinear":
                        self.points[(k, i)] = ("activation", q.input[0])
            if any(key[0] == k and key in self.points and self.points[key][0] != "bias" for key in self.points):
                self.units.append(k)
        # float parameters pot4j changed before quantizing (channel alignment shifts a float layer's bias and
        # compensates in the next layer's): "float all" restores them too, so that it is the FP32 model again
        self.edits = []
        for k, n in enumerate(g.node):
            original = fp32_nodes.get(n.name)
            if original is None:
                continue
            for i, t in enumerate(n.input):
                if (k, i) in self.points or t not in self.inits or i >= len(original.input) or keep_biases:
                    continue
                source = original.input[i]
                if source in self.fp32_inits and not np.array_equal(
                        numpy_helper.to_array(self.fp32_inits[source]), numpy_helper.to_array(self.init(t))):
                    self.points[(k, i)] = ("edit", source)
                    self.edits.append((k, i))

    def init(self, name):
        return next(i for i in self.model.graph.initializer if i.name == name)

    def label(self, k):
        n = self.model.graph.node[k]
        return f"{n.op_type} {n.name}"

    def has_weights(self, k):
        return any(kind == "weight" for (node, _), (kind, _) in self.points.items() if node == k)

    def variant(self, float_points):
        """A copy with the given points read in float; unused Q/DQ nodes and initializers are dropped."""
        m = copy.deepcopy(self.model)
        g = m.graph
        added = set()
        for (k, i) in float_points:
            kind, source = self.points[(k, i)]
            if kind == "activation":
                g.node[k].input[i] = source
            else:
                name = "fp32::" + source
                if name not in added:
                    init = copy.deepcopy(self.fp32_inits[source])
                    init.name = name
                    g.initializer.append(init)
                    added.add(name)
                g.node[k].input[i] = name
        prune(g)
        return m

    def points_of(self, units):
        units = set(units)
        return [p for p in self.points if p[0] in units and self.points[p][0] != "edit"]


def prune(g):
    needed = {o.name for o in g.output}
    keep = []
    for n in reversed(list(g.node)):
        if any(o in needed for o in n.output) or n.op_type in ("If", "Loop", "Scan"):
            keep.append(n)
            needed.update(n.input)
            for a in n.attribute:  # subgraphs read outer values
                if a.type == a.GRAPH:
                    needed.update(x for sn in a.g.node for x in sn.input)
    keep.reverse()
    del g.node[:]
    g.node.extend(keep)
    inits = [i for i in g.initializer if i.name in needed]
    del g.initializer[:]
    g.initializer.extend(inits)


def evaluate(zoo, name, variants, chunk=8):
    """name -> mean cosine over outputs, for (file name, model) pairs, a few at a time on disk."""
    results = {}
    bundle = os.path.join(DIST, "bundle", "*")
    for start in range(0, len(variants), chunk):
        with tempfile.TemporaryDirectory(prefix="zoo_probe_") as d:
            for file, model in variants[start:start + chunk]:
                QDQ_ONNX.save(model, os.path.join(d, file))
            out = os.path.join(d, "out.json")
            subprocess.run(["nice", "java", "-cp", bundle, os.path.join(HERE, "ZooFidelity.java"), "--variants",
                            zoo, name, d, out], check=True, stdout=subprocess.DEVNULL)
            for file, r in zoo_run.read_json(out).items():
                cos = r.get("cosine")
                results[file] = sum(cos.values()) / len(cos) if cos else float("nan")
    return results


QDQ_ONNX = None


def qdq(zoo, name, int8, units_mode, types, prefix, keep_biases):
    global QDQ_ONNX
    m = {e["name"]: e for e in zoo_run.manifest(zoo)["models"]}[name]
    q = Qdq(int8, os.path.join(zoo, m["file"]), keep_biases)
    QDQ_ONNX = q.onnx
    every = list(q.points)
    variants = [("a_quantized.onnx", q.variant([])),
                ("a_float_all.onnx", q.variant(every)),
                ("a_weights_only.onnx", q.variant([p for p in every if q.points[p][0] == "activation"])),
                ("a_activations_only.onnx", q.variant([p for p in every if q.points[p][0] in ("weight", "bias")])),
                ("a_float_all_but_edits.onnx", q.variant([p for p in every if q.points[p][0] != "edit"]))]
    by_type = {}
    for k in q.units:
        by_type.setdefault(q.model.graph.node[k].op_type, []).append(k)
    for t, ks in sorted(by_type.items()):
        variants.append((f"b_float_type_{t}.onnx", q.variant(q.points_of(ks))))
    selected = [k for k in q.units
                if (units_mode != "layers" or q.has_weights(k))
                and (not types or q.model.graph.node[k].op_type in types)
                and q.model.graph.node[k].name.startswith(prefix or "")]
    if units_mode != "weights":
        for k in selected:
            variants.append((f"c_without_{k:05d}.onnx", q.variant(q.points_of([k]))))
            variants.append((f"d_only_{k:05d}.onnx", q.variant(q.points_of([u for u in q.units if u != k]))))
    r = evaluate(zoo, name, variants)
    base, flt = r["a_quantized.onnx"], r["a_float_all.onnx"]
    print(f"{name}: {len(q.units)} units read quantized inputs ({len(by_type)} op types), {len(q.points)} points")
    print(f"  quantized as written            {base:.4f}")
    print(f"  everything float (sanity)       {flt:.4f}")
    print(f"  quantized inputs float, {len(q.edits)} edited float parameters kept (channel alignment ...) "
          f"{r['a_float_all_but_edits.onnx']:.4f}")
    print(f"  weights only (activations float) {r['a_weights_only.onnx']:.4f}")
    print(f"  activations only (weights FP32)  {r['a_activations_only.onnx']:.4f}")
    for t, ks in sorted(by_type.items()):
        print(f"  {t:14s} float ({len(ks):3d} units)    {r[f'b_float_type_{t}.onnx']:.4f}")
    rows = []
    for k in selected:
        w, o = r.get(f"c_without_{k:05d}.onnx"), r.get(f"d_only_{k:05d}.onnx")
        if w is not None:
            rows.append((w - base, 1 - o, k))
    if rows:
        total_alone = sum(x[1] for x in rows)
        print(f"  per unit: gain when it alone is float | loss when it alone is quantized (sum of losses alone "
              f"{total_alone:.4f}, loss of all {1 - base:.4f})")
        for gain, loss, k in sorted(rows, reverse=True)[:25]:
            print(f"    {gain:+.4f} | {loss:.4f}  {q.label(k)}")


# ------------------------------------------------------------------------------------------------- PyTorch FX PTQ

def fx(zoo, name):
    import torch
    import build_zoo
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    # Debian's torch 1.13 has no fbgemm engine; onednn is its x86 engine with the same recipe (per-channel weights)
    engine = "fbgemm" if "fbgemm" in torch.backends.quantized.supported_engines else "onednn"
    torch.backends.quantized.engine = engine
    m = {e["name"]: e for e in zoo_run.manifest(zoo)["models"]}[name]
    spec = build_zoo.zoo(m["samples"])[name]
    d = spec["fn"](np.random.default_rng(sum(map(ord, name))))  # build_zoo.build's seed: the same weights
    model = d["model"].eval()
    args = [torch.from_numpy(np.load(os.path.join(zoo, i["samples_file"]))) for i in m["inputs"]]
    refs = [np.load(os.path.join(zoo, o["reference_file"])) for o in m["outputs"]]

    def cosines(module):
        with torch.no_grad():
            out = module(*args)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        per = []
        for y, ref in zip(outs, refs):
            y = y.numpy().reshape(ref.shape[0], -1)
            r = ref.reshape(ref.shape[0], -1)
            per.append(float(np.mean((y * r).sum(1) / (np.linalg.norm(y, axis=1) * np.linalg.norm(r, axis=1)))))
        return per

    print(f"{name}: torch FP32 vs reference {min(cosines(model)):.6f}")
    prepared = prepare_fx(copy.deepcopy(model), get_default_qconfig_mapping(engine),
                          example_inputs=tuple(a[:1] for a in args))
    with torch.no_grad():
        prepared(*args)
    quantized = convert_fx(prepared)
    per = cosines(quantized)
    print(f"{name}: PyTorch FX PTQ ({engine}, per-channel weights, {m['samples']} calibration samples) cosine "
          f"{np.mean(per):.4f} ({', '.join(f'{c:.4f}' for c in per)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("quantize")
    a.add_argument("zoo"), a.add_argument("name"), a.add_argument("out"), a.add_argument("label")
    a.add_argument("overrides", nargs="*")
    b = sub.add_parser("qdq")
    b.add_argument("zoo"), b.add_argument("name"), b.add_argument("int8")
    b.add_argument("--units", default="all", choices=["all", "weights", "layers"])
    b.add_argument("--types", default="")
    b.add_argument("--prefix", default="")
    b.add_argument("--keep-biases", action="store_true",
                   help="a layer put back to float keeps pot4j's bias (bias correction, a channel alignment's "
                        "compensation paired with a float layer's shifted bias) and only gets its FP32 weights")
    c = sub.add_parser("fx")
    c.add_argument("zoo"), c.add_argument("name")
    args = ap.parse_args()
    zoo = os.path.abspath(args.zoo)
    if args.cmd == "quantize":
        quantize(zoo, args.name, os.path.abspath(args.out), args.label, args.overrides)
    elif args.cmd == "qdq":
        qdq(zoo, args.name, args.int8, args.units, [t for t in args.types.split(",") if t], args.prefix,
            args.keep_biases)
    else:
        fx(zoo, args.name)


if __name__ == "__main__":
    main()
