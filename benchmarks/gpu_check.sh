#!/usr/bin/env bash
# The GPU checks of issues 9, 19 and 31, prepared for a machine with CUDA and 16 cores
# (the `device` tool's): what five seeds cost batched against one seed (`bench_seeds.py`);
# then the cold default build on the GPU (seeds batched), on the CPU with jobs on all
# cores and on two (taskset), and on the GPU as jobs (one worker, four workers), their
# times and the pages each produced. Writes into ${OUT:-/tmp/gpu-check}.
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
# one cold default build: build NAME [taskset cores] VAR=VALUE...; its seconds into times.txt
build() {
  local name=$1; shift
  local pin=()
  if [ "${1:-}" = "--cores" ]; then pin=(taskset -c "$2"); shift 2; fi
  start=$(python -c "import time; print(time.time())")
  env "$@" PRUNING_NPROC_PER_NODE=1 PRUNING_CACHE_DIR="$OUT/cache-$name" \
    "${pin[@]}" mkdocs build --strict -d "$OUT/site-$name" > "$OUT/build-$name.log" 2>&1
  python -c "import time; print(f'$name build: {time.time() - $start:.1f} s')" | tee -a "$OUT/times.txt"
  sed -n '/where this build/,$p' "$OUT/build-$name.log" | tee -a "$OUT/times.txt"
  cp "$OUT/site-$name/static/metrics.json" "$OUT/metrics-$name.json"
}
build cuda PRUNING_DEVICE=cuda          # the seeds batched as one ensemble (batch_seeds auto)
build cpu PRUNING_DEVICE=cpu            # issue 31: jobs on every core (16 one-thread workers)
build cpu-2cores --cores 0,1 PRUNING_DEVICE=cpu   # the same on two cores: target all/2 cores <= 0.2
build cuda-jobs PRUNING_DEVICE=cuda PRUNING_BATCH_SEEDS=false          # one job at a time on the GPU
build cuda-jobs-4 PRUNING_DEVICE=cuda PRUNING_BATCH_SEEDS=false PRUNING_WORKERS=4  # four workers sharing it
python - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
cuda, cpu = (json.load(open(f"{out}/metrics-{d}.json")) for d in ("cuda", "cpu"))
for stage in cuda["stages"]:
    print(f"{stage:<11} accuracy cuda {cuda['stages'][stage]['accuracy']:.4f}  cpu {cpu['stages'][stage]['accuracy']:.4f}")
print("manifest device:", cuda["manifest"]["device"], cuda["manifest"]["device_name"])
PY
