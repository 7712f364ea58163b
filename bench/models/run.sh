#!/usr/bin/env bash
# Vision transformers on this machine's CPU: the engine through PoCL beside ONNX Runtime's CPU EP and PyTorch on
# the CPU, interleaved run by run in one `gpusearch-bench ort` process per model (the one harness; this script
# only exports the models). usage: bench/models/run.sh [BATCHES] [ARCHS...]
#   BATCHES default "1,8,32"; ARCHS default "vit_b_16 swin_t" (torchvision, random weights after seed 0, exported
#   by tools/torchvision_export.py at OPSET, default 17). A model the engine cannot run prints "refused: <reason>".
# Env: OPSET, BENCH_RUNS (timed runs per contender and batch, default 3), TORCH_THREADS (default 2),
#      GPUSEARCH_MODELS_DIR (keeps the exports between runs; default a temporary folder).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
batches=${1:-1,8,32}; shift || true
archs=("${@:-vit_b_16 swin_t}"); read -r -a archs <<<"${archs[*]}"
opset=${OPSET:-17}
py=/usr/bin/python3
bench="$root/bench/GpuSearch.Bench/bin/Release/net10.0/gpusearch-bench"
[ -x "$bench" ] || dotnet build "$root/bench/GpuSearch.Bench" -c Release -nologo -v q >/dev/null
work=${GPUSEARCH_MODELS_DIR:-}
if [ -z "$work" ]; then work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work"
for a in "${archs[@]}"; do
  onnx="$work/${a}_op$opset.onnx"
  if [ ! -f "$onnx" ]; then
    if ! $py -c "import sys; sys.path.insert(0, '$root/tools'); from torchvision_export import build, export; export(build('$a'), '$onnx', $opset)" 2>"$work/$a.export.log"; then
      echo "$a: export failed: $(grep -v '^\s*$' "$work/$a.export.log" | tail -1)"; rm -f "$onnx"; continue
    fi
  fi
  # ImageNet-normalised inputs lie in about [-2.1, 2.6]: uniform [-2, 2] keeps every model in its usual range.
  "$bench" ort --model "$onnx" --name "$a (torchvision, random, opset $opset)" --batch "$batches" --repeat "${BENCH_RUNS:-3}" \
    --torch "$a" --torch-threads "${TORCH_THREADS:-2}" --input-range -2,2
done
