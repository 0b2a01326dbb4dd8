#!/usr/bin/env bash
# pot4j on the model zoo: for each model of ZOO/manifest.json, a DefaultQuantization job (CPU, npy loader) run by
# the built distribution's `bin/pot quantize`, then the fidelity of every FP32 and INT8 model against PyTorch's
# outputs (ZooFidelity.java, ONNX Runtime Java), then a markdown table on stdout.
#
#   benchmarks/zoo/run_zoo.sh [ZOO_DIR] [RESULTS_DIR]      (defaults: benchmarks/zoo/target, ZOO_DIR/results)
#
# Needs `mvn -q -o install -DskipTests` (runtime/target/pot4j) and build_zoo.py's output. Environment: ONLY=a,b
# (a subset of models), TIMEOUT=seconds per quantize (default 600), BENCH=0 skips the latency runs (bin/pot benchmark,
# FP32 and INT8 at batch 1 on 1 thread, BENCH_SECONDS=3 each, after each quantized model). Writes RESULTS_DIR/jobs/NAME.json,
# logs/NAME.{out,err,run.json,bench-*.json}, out/NAME/ (pot's output), fidelity.json, table.md.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
zoo=$(cd "${1:-$here/target}" && pwd) || exit 2
results=${2:-$zoo/results}
pot=$root/runtime/target/pot4j/bin/pot
py=/usr/bin/python3
[ -x "$pot" ] || { echo "no $pot: build first (mvn -q -o install -DskipTests)" >&2; exit 2; }
[ -f "$zoo/manifest.json" ] || { echo "no $zoo/manifest.json: run build_zoo.py first" >&2; exit 2; }
mkdir -p "$results/jobs" "$results/logs" "$results/out"
results=$(cd "$results" && pwd)

for name in $("$py" "$here/zoo_run.py" names "$zoo" "${ONLY:-}"); do
    "$py" "$here/zoo_run.py" job "$zoo" "$name" > "$results/jobs/$name.json"
    rm -rf "${results:?}/out/$name"      # no stale model from an earlier run when this one fails
    start=$(date +%s%N)
    timeout "${TIMEOUT:-600}" nice "$pot" quantize -c "$results/jobs/$name.json" -o "$results/out" \
        > "$results/logs/$name.out" 2> "$results/logs/$name.err"
    rc=$?
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    seconds=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
    echo "{\"rc\": $rc, \"seconds\": $seconds}" > "$results/logs/$name.run.json"
    if [ "$rc" = 0 ] && [ "${BENCH:-1}" != 0 ]; then
        # INT8 / FP32 latency (issue 13: never slower): batch 1, 1 thread, FP32 and INT8 alternated in one process,
        # BENCH_ROUNDS rounds sharing BENCH_SECONDS per model; the ratio is the median of the per-round ratios
        fp32=$("$py" "$here/zoo_run.py" model "$zoo" "$name" "$results" fp32)
        int8=$("$py" "$here/zoo_run.py" model "$zoo" "$name" "$results" int8)
        timeout 300 nice "$pot" benchmark -m "$fp32" -m "$int8" --batch 1 --threads 1 --seconds "${BENCH_SECONDS:-3}" \
            --rounds "${BENCH_ROUNDS:-5}" --json > "$results/logs/$name.bench.json" 2> "$results/logs/$name.bench.err"
    fi
    printf '%-22s exit %3d  %6.1f s  %s\n' "$name" "$rc" "$seconds" \
        "$(grep -v '^\[' "$results/logs/$name.err" | head -1)" >&2
done

nice java -cp "$root/runtime/target/pot4j/bundle/*" "$here/ZooFidelity.java" "$zoo" "$results/out" \
    "$results/fidelity.json" 2> "$results/logs/fidelity.err" || echo "fidelity failed: see $results/logs/fidelity.err" >&2
"$py" "$here/zoo_run.py" table "$zoo" "$results" | tee "$results/table.md"
