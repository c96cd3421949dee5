#!/usr/bin/env bash
# The GPU checks of issues 9 and 19, prepared for a machine with CUDA (the `device`
# tool's): what five seeds cost batched against one seed (`bench_seeds.py`); then the
# default build on the GPU (one process) and the same build on the CPU, their times and
# the pages each produced. Writes into ${OUT:-/tmp/gpu-check}.
#
#     bash benchmarks/gpu_check.sh            # needs torch with CUDA and the package installed
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/gpu-check}"
mkdir -p "$OUT"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')" | tee "$OUT/device.txt"
# issue 19 first (a minute or two): five seeds as one batched ensemble against one seed
# and against five seeds one after another, on the GPU
python benchmarks/bench_seeds.py --steps 600 | tee "$OUT/seeds.txt"
for device in cuda cpu; do
  start=$(python -c "import time; print(time.time())")
  PRUNING_DEVICE=$device PRUNING_NPROC_PER_NODE=1 PRUNING_CACHE_DIR="$OUT/cache-$device" \
    mkdocs build --strict -d "$OUT/site-$device" > "$OUT/build-$device.log" 2>&1
  python -c "import time; print(f'$device build: {time.time() - $start:.1f} s')" | tee -a "$OUT/times.txt"
  sed -n '/where this build/,$p' "$OUT/build-$device.log" | tee -a "$OUT/times.txt"
  cp "$OUT/site-$device/static/metrics.json" "$OUT/metrics-$device.json"
done
python - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
cuda, cpu = (json.load(open(f"{out}/metrics-{d}.json")) for d in ("cuda", "cpu"))
for stage in cuda["stages"]:
    print(f"{stage:<11} accuracy cuda {cuda['stages'][stage]['accuracy']:.4f}  cpu {cpu['stages'][stage]['accuracy']:.4f}")
print("manifest device:", cuda["manifest"]["device"], cuda["manifest"]["device_name"])
PY
