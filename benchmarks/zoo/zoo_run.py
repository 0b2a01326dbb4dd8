#!/usr/bin/python3
"""run_zoo.sh's helper (standard library only):

    zoo_run.py names ZOO [ONLY]          model names of ZOO/manifest.json (ONLY: comma-separated subset)
    zoo_run.py job ZOO NAME              prints the pot4j job for one model
    zoo_run.py model ZOO NAME RESULTS fp32|int8   prints the path of the FP32 or the quantized model
    zoo_run.py table ZOO RESULTS         prints the markdown table from RESULTS/{out,logs,fidelity.json}

The job: DefaultQuantization (preset performance, stat_subset_size = the zoo's sample count), target CPU, engine
accuracy_checker with the npy loader on every input's samples (one .npy per input name, sample_axis from the
manifest) and no preprocessing; metrics: similarity (cosine against the FP32 model's outputs, every one, no labels) and, for classifiers, accuracy with PyTorch's FP32 top-1 as labels (so "accuracy"
is top-1 agreement with PyTorch). POT's simplified engine reads only image folders, hence accuracy_checker.
"""
import json
import os
import sys


def manifest(zoo):
    with open(os.path.join(zoo, "manifest.json")) as f:
        return json.load(f)


def job(zoo, name):
    m = {e["name"]: e for e in manifest(zoo)["models"]}[name]
    zoo = os.path.abspath(zoo)
    inputs = m["inputs"]
    if len(inputs) == 1:
        dataset = {"loader": "npy", "data": os.path.join(zoo, inputs[0]["samples_file"])}
    else:  # one .npy per input, by name; a state [layers, N, hidden] has its samples on axis 1
        dataset = {"loader": "npy", "data": {i["name"]: os.path.join(zoo, i["samples_file"]) for i in inputs}}
    axes = {i["name"]: i["sample_axis"] for i in inputs if i.get("sample_axis")}
    if axes:
        dataset["sample_axis"] = axes
    metrics = [{"name": "similarity", "type": "cosine"}]
    if m.get("labels_file"):
        dataset["labels"] = os.path.join(zoo, m["labels_file"])
        metrics.append({"name": "accuracy", "top_k": 1})
    return {
        "model": {"model_name": name, "model": os.path.join(zoo, m["file"])},
        "engine": {"type": "accuracy_checker", "dataset": dataset, "metrics": metrics},
        "compression": {"target_device": "CPU", "algorithms": [
            {"name": "DefaultQuantization", "params": {"preset": "performance", "stat_subset_size": m["samples"]}}]},
    }


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def first_error(path):
    """The first line of pot's stderr that is not a progress line ([stage])."""
    try:
        with open(path, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip()]
    except OSError:
        return "no log"
    errors = [l for l in lines if not l.startswith("[")]
    return errors[0] if errors else (lines[-1] if lines else "no message")


def fmt(x, digits=4):
    return "—" if x is None else f"{x:.{digits}f}"


def cell(s):
    return str(s).replace("|", "\\|")


def table(zoo, results):
    fid = read_json(os.path.join(results, "fidelity.json")) or {}
    rows = ["| model | opset | inputs (dtype [shape]) | pot4j quantize | quantized / candidates | INT8 vs FP32, pot4j "
            "(cosine, mean over outputs) | FP32 ORT vs PyTorch (min cosine over outputs) | INT8 vs PyTorch (cosine per output) "
            "| top-1 INT8 = PyTorch | INT8 / FP32 latency, batch 1 (min–max of alternated rounds) | wall s |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    ok = 0
    models = manifest(zoo)["models"]
    for m in models:
        name = m["name"]
        inputs = "; ".join(f"{i['name']} {i['dtype']} [{', '.join(map(str, i['shape']))}]" for i in m["inputs"])
        run = read_json(os.path.join(results, "logs", name + ".run.json")) or {}
        report = read_json(os.path.join(results, "out", name, "report.json"))
        rc = run.get("rc")
        if rc is None:
            result, layers, pot_cos = "not run", "—", None
        elif rc == 0 and report:
            ok += 1
            result = "ok"
            mm = report.get("min_max_quantization") or {}
            q = mm.get("quantized_nodes")
            ignored = len(report.get("ignored_nodes") or [])
            layers = f"{q} / {q + ignored}" if q is not None else "—"
            pot_cos = (report.get("int8") or {}).get("metrics", {}).get("similarity_cosine")
        else:
            result = ("timeout: " if rc == 124 else f"exit {rc}: ") + first_error(os.path.join(results, "logs", name + ".err"))
            layers, pot_cos = "—", None
        f = fid.get(name) or {}
        fp32, int8 = f.get("fp32") or {}, f.get("int8") or {}
        fp32_cos = fmt(min(fp32["cosine"].values()), 6) if fp32.get("cosine") else fp32.get("error", "—")
        if int8.get("cosine"):
            int8_cos = ", ".join(f"{k} {v:.4f}" for k, v in int8["cosine"].items()) if len(int8["cosine"]) > 1 \
                else fmt(next(iter(int8["cosine"].values())))
        else:
            int8_cos = int8.get("error", "—")
        top1 = fmt(int8.get("top1_agreement"), 3) if "top1_agreement" in int8 else "—"
        wall = run.get("seconds")
        bench = (read_json(os.path.join(results, "logs", name + ".bench.json")) or {}).get("models") or []
        if len(bench) == 2:
            b32, b8 = bench
            latency = (f"{b8['ratio_to_first']:.2f} ({b8['ratio_min']:.2f}–{b8['ratio_max']:.2f}; "
                       f"{b8['median_ms']:.3g} / {b32['median_ms']:.3g} ms)")
        elif rc == 0 and os.path.exists(os.path.join(results, "logs", name + ".bench.err")):
            latency = "failed: " + first_error(os.path.join(results, "logs", name + ".bench.err"))
        else:
            latency = "—"
        rows.append("| " + " | ".join(cell(c) for c in [
            name, m["opset"], inputs, result, layers, fmt(pot_cos), fp32_cos, int8_cos, top1, latency,
            "—" if wall is None else f"{wall:.1f}"]) + " |")
    rows.append("")
    rows.append(f"{ok} of {len(models)} models quantized.")
    return "\n".join(rows)


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "names" and len(sys.argv) in (3, 4):
        names = [m["name"] for m in manifest(sys.argv[2])["models"]]
        if len(sys.argv) == 4 and sys.argv[3]:
            only = sys.argv[3].split(",")
            names = [n for n in names if n in only]
        print("\n".join(names))
    elif cmd == "job" and len(sys.argv) == 4:
        print(json.dumps(job(sys.argv[2], sys.argv[3]), indent=1))
    elif cmd == "model" and len(sys.argv) == 6:
        zoo, name, results, kind = sys.argv[2:]
        m = {e["name"]: e for e in manifest(zoo)["models"]}[name]
        print(os.path.join(zoo, m["file"]) if kind == "fp32" else os.path.join(results, "out", name, "optimized", name + ".onnx"))
    elif cmd == "table" and len(sys.argv) == 4:
        print(table(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
