#!/usr/bin/env bash
# The whole GPU check, for a machine with a CUDA GPU and torch built for it:
#   1. scikit-learn's array API checks and ours, on cuda (and CuPy if installed),
#      Dask chunks on the GPU among them;
#   2. the benchmark: ours in torch on cuda against scikit-learn's MLP on the CPU,
#      W1-W4 at the workload's batch and at batch 2048, torch on the CPU beside;
#   3. data-parallel L-BFGS on Dask with the chunks on cuda (bench_dask.py).
# Everything goes to one file (default gpu_check_results.md; first argument).
# Usage, from the repository root:  bash benchmarks/gpu_check.sh [OUT] [REPEATS]
set -euo pipefail
OUT="${1:-gpu_check_results.md}"
REPEATS="${2:-5}"
export SCIPY_ARRAY_API=1
{
  echo "# GPU check, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo
  python - <<'PY'
import torch
print("- torch", torch.__version__, "| cuda available:", torch.cuda.is_available())
if torch.cuda.is_available():
    print("- device:", torch.cuda.get_device_name(0))
PY
  echo
  echo "## Array API tests on cuda"
  echo
  echo '```'
} > "$OUT"
python - <<'PY' || { echo "no CUDA device: the GPU check needs one" | tee -a "$OUT"; exit 1; }
import sys, torch
sys.exit(0 if torch.cuda.is_available() else 1)
PY
# the test files add torch on cuda (and CuPy, in test_common and test_dask) to
# their namespaces when torch sees a GPU; test_dask's are Dask chunks on the GPU
# (local scheduler, a 2-worker cluster, worker processes)
python -m pytest -q -p no:cacheprovider \
  tests/test_common.py -k "array_api" tests/test_array_api.py \
  2>&1 | tail -n 15 >> "$OUT"
python -m pytest -q -p no:cacheprovider tests/test_dask.py -k "array_api_chunks" \
  2>&1 | tail -n 15 >> "$OUT"
{
  echo '```'
  echo
  echo "## Benchmark: ours on cuda vs scikit-learn's MLP on the CPU"
  echo
} >> "$OUT"
python -m skbackprop bench --namespace torch --device cuda --markdown \
  --repeats "$REPEATS" --json "${OUT%.md}.json" >> "$OUT"
{
  echo
  echo "## Data-parallel L-BFGS on Dask with chunks on the GPU (2 worker processes)"
  echo
  echo '```'
} >> "$OUT"
python benchmarks/bench_dask.py --namespace torch --device cuda \
  --repeats "$REPEATS" >> "$OUT" 2>&1
echo '```' >> "$OUT"
echo "figures written to $OUT (and ${OUT%.md}.json)"
