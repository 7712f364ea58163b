#!/usr/bin/env bash
# CNN inference throughput on this machine's CPU: the engine's kernels through PoCL (gpusearch run-onnx
# --bench) side by side with PyTorch and OpenCV DNN (bench/cnn/baselines.py), same run, same inputs.
# Writes a markdown table to stdout. usage: bench/cnn/run.sh [BATCHES] [MODELS...]
#   BATCHES default "1,8,64"; MODELS: shared (the four in ../shared/models, default) and/or torchvision
#   (ResNet-50, EfficientNet-B0, MobileNetV3-Large, ConvNeXt-T exported with random weights).
# BENCH_RUNS=N (default 3): timed runs per cell at least, after a warm-up; 1 makes batch 256 affordable.
# BENCH_CELL_TIMEOUT=S: give up on a PyTorch/OpenCV cell after S seconds and print "timeout" (default: none).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
batches=${1:-1,8,64}; shift || true
export BENCH_RUNS=${BENCH_RUNS:-3}
cap=()
[ -z "${BENCH_CELL_TIMEOUT:-}" ] || cap=(timeout "$BENCH_CELL_TIMEOUT")
# One baseline cell: its images/s, "timeout" when it ran past BENCH_CELL_TIMEOUT, or "fail".
cell() { local r rc=0; r=$("${cap[@]}" $py "$here/baselines.py" "$@" 2>/dev/null) || rc=$?
         if ((rc == 124)); then echo timeout; elif ((rc)) || [ -z "$r" ]; then echo fail; else cut -d' ' -f1 <<<"$r"; fi; }
sets=("${@:-shared}")
cli="$root/src/GpuSearch.Cli/bin/Release/net10.0/gpusearch"
[ -x "$cli" ] || dotnet build "$root/src/GpuSearch.Cli" -c Release -nologo -v q >/dev/null
py=/usr/bin/python3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
shared="${GPUSEARCH_SHARED:-$root/../shared}/models"

# name | onnx file | torchvision arch for the PyTorch baseline | input size
rows=()
for s in "${sets[@]}"; do
  case $s in
    shared) rows+=("MobileNetV2-0.35|$shared/mobilenetv2_035_224_imagenet_embed.onnx|mobilenet_v2@0.35|224"
                   "SqueezeNet 1.1|$shared/squeezenet1.1_imagenet_fp32.onnx|squeezenet1_1|224"
                   "MobileNetV2 1.0 (nsfwjs)|$shared/nsfwjs_mobilenet_v2_224.onnx|mobilenet_v2|224"
                   "InceptionV3 (nsfwjs)|$shared/nsfwjs_inception_v3_299.onnx|inception_v3|299") ;;
    torchvision) for a in resnet50 efficientnet_b0 mobilenet_v3_large convnext_tiny; do
                   $py "$here/baselines.py" export $a "$work/$a.onnx" 224
                   rows+=("$a (torchvision, random)|$work/$a.onnx|$a|224"); done ;;
    *) echo "unknown model set $s" >&2; exit 2 ;;
  esac
done

echo "| model | batch | engine (PoCL) img/s | PyTorch img/s | OpenCV DNN img/s | engine / PyTorch | engine / OpenCV |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
  IFS='|' read -r name onnx arch size <<<"$row"
  [ -f "$onnx" ] || { echo "| $name | – | skipped: $onnx absent | | | | |"; continue; }
  input=$($py -c "import onnx,sys; print(onnx.load(sys.argv[1], load_external_data=False).graph.input[0].name)" "$onnx")
  $py -c "import numpy as np,sys; np.save(sys.argv[1], np.random.default_rng(0).uniform(0,1,(1,3,$size,$size)).astype(np.float32))" "$work/x.npy"
  ours=$("$cli" run-onnx "$onnx" --input "$input=$work/x.npy" --out "$work/out" --device cpu --bench "$batches" --bench-runs "$BENCH_RUNS" 2>&1 | grep '^bench' || true)
  for b in ${batches//,/ }; do
    e=$(awk -v b="$b" '$3==b":" {print $4}' <<<"$ours"); e=${e:-fail}
    t=$(cell torch "$arch" "$b" "$size")
    o=$(cell opencv "$onnx" "$b" "$size")
    r1=$(awk -v a="$e" -v b="$t" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.2f×", a/b; else print "–" }')
    r2=$(awk -v a="$e" -v b="$o" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.2f×", a/b; else print "–" }')
    echo "| $name | $b | $e | ${t:-fail} | ${o:-fail} | $r1 | $r2 |"
  done
done
