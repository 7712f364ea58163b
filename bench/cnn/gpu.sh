#!/usr/bin/env bash
# CNN inference on a CUDA GPU (the H100 target): the engine (self-contained `make publish` build, no .NET SDK
# needed on the GPU machine) against PyTorch eager fp32/fp16 channels_last on the same GPU, same run.
# usage: bench/cnn/gpu.sh [BATCHES] [ARCHS...]   defaults: 1,8,64,256 and resnet50 efficientnet_b0
#        mobilenet_v3_large convnext_tiny. Prints a markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
batches=${1:-1,8,64,256}; shift || true
archs=("${@:-resnet50 efficientnet_b0 mobilenet_v3_large convnext_tiny}")
cli=${GPUSEARCH_CLI:-$root/publish/cli/gpusearch}
[ -x "$cli" ] || { echo "no engine build at $cli (run make publish on a machine with the .NET SDK)" >&2; exit 2; }
py=/usr/bin/python3; command -v $py >/dev/null || py=python3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader || true
echo "| model | batch | engine fp32 img/s | engine fp16-weights img/s | PyTorch fp32 img/s | PyTorch fp16 img/s | engine fp16 / PyTorch fp16 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for a in ${archs[@]}; do
  $py "$here/baselines.py" export "$a" "$work/$a.onnx" 224
  $py -c "import numpy as np,sys; np.save(sys.argv[1], np.random.default_rng(0).uniform(0,1,(1,3,224,224)).astype(np.float32))" "$work/x.npy"
  e32=$("$cli" run-onnx "$work/$a.onnx" --input "input=$work/x.npy" --out "$work/o" --device cuda --bench "$batches" 2>&1 | grep '^bench' || true)
  e16=$("$cli" run-onnx "$work/$a.onnx" --input "input=$work/x.npy" --out "$work/o" --device cuda --fp16-weights --bench "$batches" 2>&1 | grep '^bench' || true)
  for b in ${batches//,/ }; do
    x32=$(awk -v b="$b" '$3==b":" {print $4}' <<<"$e32"); x16=$(awk -v b="$b" '$3==b":" {print $4}' <<<"$e16")
    t32=$($py "$here/baselines.py" torchgpu "$a" "$b" 224 fp32 | cut -d' ' -f1 || echo fail)
    t16=$($py "$here/baselines.py" torchgpu "$a" "$b" 224 fp16 | cut -d' ' -f1 || echo fail)
    r=$(awk -v a="${x16:-0}" -v b="${t16:-0}" 'BEGIN{ if (a+0>0 && b+0>0) printf "%.2f×", a/b; else print "–" }')
    echo "| $a | $b | ${x32:-fail} | ${x16:-fail} | $t32 | $t16 | $r |"
  done
done
