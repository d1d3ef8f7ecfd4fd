#!/usr/bin/env bash
# What only a GPU can prove, in one run of at most ~10 minutes (sized for one H200):
#   1. the GPU tests (tests/python/test_gpu.py: bf16 autocast, staging on the GPU, auto
#      workers per GPU from real free memory, several workers per GPU, Ray GPU shares);
#   2. the 100-model base-set protocol on a Quick, Draw!-shaped synthetic set (160,000 ×
#      1×28×28, 10 classes, ≤ 10 epochs, early stopping, workers_per_gpu 8; goal ≤ 5 min);
#   3. models/min at workers_per_gpu 1, 2, 4, 8 with bf16 on and off;
#   4. a probe of torch.compile / CUDA graphs and batch 1024 against eager batch 256.
# Every step has its own time limit and the script goes on when one fails; results land in
# OUTDIR (JSON per step, logs, and summary.md). Run from anywhere, e.g. the root of a copy of
# the repository with a ready .venv:
#     bash bench/gpu_check.sh /tmp/gpu-results
# Without a GPU it still runs (tests skip, the benches run on the CPU): add --tiny for a
# toy-size check of the script itself.
set -uo pipefail

if [ $# -lt 1 ]; then
  echo "usage: bash bench/gpu_check.sh OUTDIR [--tiny]" >&2
  exit 2
fi
OUT="$(mkdir -p "$1" && cd "$1" && pwd)"
TINY=""
if [ "${2:-}" = "--tiny" ]; then TINY="--tiny"; fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
if [ ! -x "$PY" ]; then PY="$(command -v python3)"; fi
# remap from this checkout even when the venv has it installed from elsewhere (or not at all)
export PYTHONPATH="$ROOT/python_server:$ROOT/tests/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 REMAP_LSP_WARMUP=0
STATUS="$OUT/status.txt"
: >"$STATUS"
started=$(date +%s)

step() {  # step NAME LIMIT_SECONDS COMMAND...: run with a time limit, log, record the exit code
  local name="$1" limit="$2"
  shift 2
  local t0=$(date +%s)
  echo "== $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  local took=$(( $(date +%s) - t0 ))
  echo "$name rc=$rc ${took}s" | tee -a "$STATUS"
  tail -n 5 "$OUT/$name.log"
}

{
  date -u
  nvidia-smi 2>&1 || echo "nvidia-smi: not available"
  "$PY" - <<'EOF'
import json, os, torch
info = {
    "torch": torch.__version__,
    "cuda": torch.version.cuda,
    "gpus": torch.cuda.device_count() if torch.cuda.is_available() else 0,
    "names": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    if torch.cuda.is_available() else [],
    "bf16": bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported()),
    "cpus": os.cpu_count(),
    "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES"),
}
try:
    import ray
    info["ray"] = ray.__version__
except ImportError:
    info["ray"] = None
print(json.dumps(info))
EOF
} >"$OUT/env.txt" 2>&1
tail -n 1 "$OUT/env.txt"

step gpu_tests 100 "$PY" -m pytest -q -p no:cacheprovider -rs tests/python/test_gpu.py \
  --junitxml="$OUT/gpu_tests.xml"
step base_set 330 "$PY" bench/bench_scale.py --base-set "$OUT" --workers-per-gpu 8 $TINY
step gpu_sweep 140 "$PY" bench/bench_scale.py --gpu-sweep "$OUT" $TINY
step compile_probe 60 "$PY" bench/bench_scale.py --compile-probe "$OUT" $TINY

"$PY" - "$OUT" <<'EOF' >"$OUT/summary.md" 2>&1
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
def load(name):
    p = out / name
    try:
        return json.loads(p.read_text())
    except Exception as exc:
        return {"missing": f"{name}: {exc}"}
print("# gpu_check results\n")
print("```\n" + (out / "status.txt").read_text() + "```\n")
base = load("base_set.json")
print("## 100-model base set (QuickDraw-shaped, ≤ 10 epochs, early stopping)\n")
print("```json\n" + json.dumps(base, indent=1) + "\n```\n")
print("## models/min by workers_per_gpu and bf16\n")
sweep = load("gpu_sweep.json")
if isinstance(sweep, list):
    print("| workers/GPU | bf16 | done | wall s | models/min | steady models/min |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in sweep:
        print(f"| {r['workers_per_gpu']} | {r['bf16']} | {r['done']}/{r['models']} | "
              f"{r['wall_s']:.1f} | {r['models_per_min']:.1f} | {r['steady_models_per_min']:.1f} |")
else:
    print(sweep)
print("\n## torch.compile / CUDA graphs / batch probe\n")
print("```json\n" + json.dumps(load("compile_probe.json"), indent=1) + "\n```")
EOF
rm -rf "$OUT/work"  # the generated data set and scratch workspaces
echo "total $(( $(date +%s) - started ))s" | tee -a "$STATUS"
echo "results in $OUT (summary.md)"
