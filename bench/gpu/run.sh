#!/usr/bin/env bash
# bench/gpu/run.sh — the one-call GPU check (issue 15). On a machine with one NVIDIA GPU, the CUDA driver/NVRTC,
# PyTorch and NO .NET SDK, using the self-contained `make publish` output (publish/{cli,bench,tests}, or the carried
# publish/gpu.tar.xz, which it unpacks), it runs in under 9 minutes and writes a RESULTS fragment to $OUT:
#   gpu-check.md (markdown rows for bench/RESULTS.md), gpu-check.json (every number), logs/ (each step's output).
# Steps, each under its own timeout inside one overall deadline, each recorded as ok / failed (rc) / timeout /
# skipped / unsupported, so one failure never eats the budget and the script never hangs:
# Steps run in priority order: when the budget runs out, the last ones are recorded as skipped.
#   env      nvidia-smi, torch, CUDA versions
#   tc_tests the opt-in tensor-core kernels (GPUSEARCH_TENSOR_CORES) against the portable ones: the CUDA trait's
#            TensorCore tests alone, first, so a slow full test step cannot starve them
#   tests    the CUDA test trait (publish/tests/gpusearch-tests --trait Backend=CUDA)
#   kernels  every embedded kernel compiled by NVRTC, from an empty kernel cache (gpusearch-bench kernels)
#   knn      engine fp16 scan vs torch fp16 matmul+topk, N=1M D=512 Q=1/64/4096 k=10/100/1000, % of HBM bandwidth
#   cnn_*    ResNet-50: engine --fp16-weights vs torch eager fp16 (channels_last), batches 1/32/128, same random weights
#   vit_*    ViT-B/16: engine fp32 and --fp16-weights vs torch eager fp16, batches 1/32, same random weights
#   tc_*     the same k-NN (Q=64/4096 k=10) and ViT-B/16 fp32 runs with GPUSEARCH_TENSOR_CORES=1 (mma.sync GEMM,
#            attention, scan dot products), beside the portable numbers above
#   swin_t   Swin-T like ViT if the engine accepts it (model-info), else recorded as 'refused: <the engine's reason>'
#   embed    upload-beside-compute vs one batch at a time (gpusearch-bench embed) on generated JPEGs
#   ingest   end-to-end `gpusearch index` img/s on generated JPEGs (decode, preprocess, upload, forward, store)
#   tune_scan `gpusearch tune --kernels scan --quick`: the exact scan's search space measured on the device
# usage: bench/gpu/run.sh [--dry-run] [--budget SECONDS]
#   --dry-run  the same steps on the CPU (PoCL for the engine, torch on CPU) at tiny sizes, ResNet-18 for ResNet-50,
#              a 2-layer ViT (vit_tiny, 64x64) for ViT-B/16:
#              checks the script here (on a loaded 2-core machine give it --budget 900: PoCL compiles take minutes).
# env: OUT (default ./out/gpu-check), PUBLISH (default <repo>/publish), PYTHON (a python3 with torch).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
dry=0; budget=510
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry=1 ;;
    --budget) budget=${2:?--budget needs seconds}; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
start=$(date +%s); deadline=$((start + budget))
OUT=${OUT:-$root/out/gpu-check}; mkdir -p "$OUT/logs"
PUBLISH=${PUBLISH:-$root/publish}
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX"); trap 'rm -rf "$work"' EXIT
status="$OUT/steps.tsv"; : > "$status"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PYTHONDONTWRITEBYTECODE=1
# A fresh kernel/tuning cache: NVRTC really compiles, and no tuning left from elsewhere decides anything.
export GPUSEARCH_KERNEL_CACHE="$work/kcache"

if [ $dry = 1 ]; then
  # ResNet-18: the same steps at a cost PoCL on a shared 2-core machine pays within the budget.
  dev=cpu; tdev=cpu; n=20000; d=64; qs=1,8; ks=10,100; arch=resnet18; rbatches=1,2; nimg=24; eimg=16; ebatch=4
  vit=vit_tiny; vsize=64; vbatches=1,2; tcqs=8
else
  dev=cuda; tdev=cuda; n=1000000; d=512; qs=1,64,4096; ks=10,100,1000; arch=resnet50; rbatches=1,32,128; nimg=2000; eimg=1024; ebatch=64
  vit=vit_b_16; vsize=224; vbatches=1,32; tcqs=64,4096
fi
echo "gpu check: dry-run=$dry device=$dev budget=${budget}s out=$OUT"

# step NAME SECONDS CMD...: runs CMD under min(SECONDS, time left before the deadline less 15 s for the report),
# output to logs/NAME.log; records NAME, status, rc, seconds. Never lets a step outlive the deadline.
step() {
  local name=$1 want=$2; shift 2
  local now left t0 rc st
  now=$(date +%s); left=$((deadline - now - 15))
  if [ "$left" -lt 5 ]; then printf '%s\tskipped\t-\t0\tno time left\n' "$name" >> "$status"; echo "[$name] skipped: no time left"; return 0; fi
  [ "$want" -gt "$left" ] && want=$left
  echo "[$name] up to ${want}s: $*"
  t0=$(date +%s)
  timeout -k 5 "$want" "$@" < /dev/null > "$OUT/logs/$name.log" 2>&1; rc=$?
  local secs=$(( $(date +%s) - t0 ))
  case $rc in 0) st=ok ;; 124|137) st=timeout ;; *) st=failed ;; esac
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$st" "$rc" "$secs" "$(tail -n 1 "$OUT/logs/$name.log" | tr '\t' ' ' | cut -c1-200)" >> "$status"
  echo "[$name] $st (rc $rc, ${secs}s)"
  return 0
}
note() { printf '%s\t%s\t-\t0\t%s\n' "$1" "$2" "$3" >> "$status"; echo "[$1] $2: $3"; }

# Python with torch (the GPU image may have it in a venv on PATH rather than the system's).
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for p in python3 /usr/bin/python3; do
    if command -v "$p" > /dev/null && timeout 60 "$p" -c "import torch, torchvision" 2> /dev/null; then PY=$p; break; fi
  done
fi

# Engine binaries: the published folders, else unpack the carried bundle.
if [ ! -x "$PUBLISH/cli/gpusearch" ] && [ -f "$PUBLISH/gpu.tar.xz" ]; then
  # tar needs xz; Python's tarfile (lzma) is the fallback where xz-utils is missing. Both keep the hard links.
  step unpack 60 bash -c "tar -C '$(dirname "$PUBLISH")' -xJf '$PUBLISH/gpu.tar.xz' ||
    ${PY:-false} -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' '$PUBLISH/gpu.tar.xz' '$(dirname "$PUBLISH")'"
fi
cli=$PUBLISH/cli/gpusearch; bench=$PUBLISH/bench/gpusearch-bench; tests=$PUBLISH/tests/gpusearch-tests
have() { [ -x "$1" ] || { note "$2" failed "missing $1 (run make publish where the .NET SDK is)"; return 1; }; }

# --- env
step env 30 bash -c "nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader 2>/dev/null || echo 'nvidia-smi: none';
  ${PY:-false} -c 'import torch; print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"device\", torch.cuda.get_device_name(0) if torch.cuda.is_available() else \"none\")' 2>&1 || echo 'torch: none';
  grep -m1 'model name' /proc/cpuinfo; nproc"

# --- tc_tests: the tensor-core variants against the portable kernels (TensorCoreParityTests; skipped, with the reason,
# below compute capability 8.0 or without a GPU) and their clang sm_80 PTX checks (skipped where clang-14 is absent)
if have "$tests" tc_tests; then step tc_tests 60 "$tests" --trait Backend=CUDA --name TensorCore --json "$OUT/tc_tests.json"; fi

# --- tests: the CUDA trait (skips say why where there is no CUDA device; dry-run runs the fakes and the dialect check)
if have "$tests" tests; then step tests 120 "$tests" --trait Backend=CUDA --json "$OUT/tests.json"; fi

# --- kernels: every kernel source compiled for the device, from the empty cache
if have "$bench" kernels; then
  step kernels 90 bash -c "'$bench' kernels --device $dev --json > '$OUT/kernels.json'"
fi

# --- knn: engine (fp16 storage) and torch fp16 matmul+topk on the same sizes
if have "$bench" knn; then
  step knn_engine 90 bash -c "'$bench' knn --device $dev --dtype fp16 --n $n --d $d --q $qs --k $ks --repeat 3 --json > '$OUT/knn_engine.json'"
fi
if [ -n "$PY" ]; then
  step knn_torch 60 bash -c "'$PY' '$root/bench/torch_knn.py' --device $tdev --dtypes fp16 --n $n --d $d --q $qs --k $ks --repeat 5 > '$OUT/knn_torch.jsonl'"
else note knn_torch failed "no python3 with torch"; fi

# --- CNN ($arch: ResNet-50 on the GPU): same random weights exported once, engine fp16 weights vs torch eager fp16
if [ -n "$PY" ] && have "$cli" cnn; then
  step cnn_export 45 bash -c "'$PY' '$root/bench/cnn/baselines.py' export $arch '$work/$arch.onnx' 224 &&
    '$PY' -c \"import numpy as np,sys; np.save(sys.argv[1], np.random.default_rng(0).uniform(0,1,(1,3,224,224)).astype(np.float32))\" '$work/x.npy'"
  if [ -f "$work/$arch.onnx" ]; then
    step cnn_engine 120 "$cli" run-onnx "$work/$arch.onnx" --input "input=$work/x.npy" --out "$work/o" --device $dev --fp16-weights --bench $rbatches --bench-runs 3
    if [ $dry = 1 ]; then
      step cnn_torch 60 bash -c "for b in ${rbatches//,/ }; do echo \"batch \$b \$(BENCH_RUNS=1 '$PY' '$root/bench/cnn/baselines.py' torch $arch \$b 224)\"; done"
    else
      step cnn_torch 60 bash -c "for b in ${rbatches//,/ }; do echo \"batch \$b \$('$PY' '$root/bench/cnn/baselines.py' torchgpu $arch \$b 224 fp16)\"; done"
    fi
  fi
else note cnn failed "needs python3 with torch and the published CLI"; fi

# --- ViT-B/16 ($vit): engine fp32 and fp16 weights vs torch eager fp16, the same random weights exported once
# transformer NAME ARCH SIZE BATCHES: export, then engine fp32, engine --fp16-weights, torch (steps NAME_export, ...)
transformer() {
  local name=$1 tarch=$2 size=$3 batches=$4
  step "${name}_export" 60 "$PY" "$root/bench/cnn/baselines.py" export "$tarch" "$work/$name.onnx" "$size"
  [ -f "$work/$name.onnx" ] || return 0
  step "${name}_engine" 60 "$cli" run-onnx "$work/$name.onnx" --input "input=$work/x$size.npy" --out "$work/o_$name" --device $dev --bench "$batches" --bench-runs 3
  step "${name}_engine_fp16" 60 "$cli" run-onnx "$work/$name.onnx" --input "input=$work/x$size.npy" --out "$work/o_${name}16" --device $dev --fp16-weights --bench "$batches" --bench-runs 3
  if [ $dry = 1 ]; then
    step "${name}_torch" 45 bash -c "for b in ${batches//,/ }; do echo \"batch \$b \$(BENCH_RUNS=1 '$PY' '$root/bench/cnn/baselines.py' torch $tarch \$b $size)\"; done"
  else
    step "${name}_torch" 45 bash -c "for b in ${batches//,/ }; do echo \"batch \$b \$('$PY' '$root/bench/cnn/baselines.py' torchgpu $tarch \$b $size fp16)\"; done"
  fi
}
xinput() { "$PY" -c "import numpy as np,sys; np.save(sys.argv[1], np.random.default_rng(0).uniform(0,1,(1,3,$1,$1)).astype(np.float32))" "$work/x$1.npy"; }
if [ -n "$PY" ] && have "$cli" vit; then
  xinput $vsize && transformer vit "$vit" $vsize $vbatches
else note vit failed "needs python3 with torch and the published CLI"; fi

# --- tensor cores (opt-in, GPUSEARCH_TENSOR_CORES=1): the same k-NN and ViT runs on the mma.sync variants, for the
# speed beside the portable numbers above (their correctness is tc_tests'). On the CPU (dry run) the switch is inert.
if have "$bench" tc_knn; then
  step tc_knn 45 bash -c "GPUSEARCH_TENSOR_CORES=1 '$bench' knn --device $dev --dtype fp16 --n $n --d $d --q $tcqs --k 10 --repeat 3 --json > '$OUT/tc_knn.json'"
fi
if [ -f "$work/vit.onnx" ]; then
  step tc_vit 60 env GPUSEARCH_TENSOR_CORES=1 "$cli" run-onnx "$work/vit.onnx" --input "input=$work/x$vsize.npy" --out "$work/o_vit_tc" --device $dev --bench "$vbatches" --bench-runs 3
fi

# --- Swin-T: measured like ViT where the engine accepts it; otherwise the engine's refusal is the result
if [ -n "$PY" ] && have "$cli" swin_t; then
  step swin_export 60 "$PY" "$root/bench/cnn/baselines.py" export swin_t "$work/swin.onnx" 224
  if [ -f "$work/swin.onnx" ]; then
    [ -f "$work/x224.npy" ] || xinput 224
    if timeout -k 5 60 "$cli" model-info "$work/swin.onnx" < /dev/null > "$OUT/logs/swin_check.log" 2>&1; then
      sb=$([ $dry = 1 ] && echo 1 || echo 1,32)
      step swin_engine 60 "$cli" run-onnx "$work/swin.onnx" --input "input=$work/x224.npy" --out "$work/o_swin" --device $dev --fp16-weights --bench $sb --bench-runs 3
      if [ $dry = 1 ]; then
        step swin_torch 45 bash -c "echo \"batch 1 \$(BENCH_RUNS=1 '$PY' '$root/bench/cnn/baselines.py' torch swin_t 1 224)\""
      else
        step swin_torch 45 bash -c "for b in 1 32; do echo \"batch \$b \$('$PY' '$root/bench/cnn/baselines.py' torchgpu swin_t \$b 224 fp16)\"; done"
      fi
    else
      note swin_t refused "$(grep -v '^\s*$' "$OUT/logs/swin_check.log" | grep -m1 -iE 'error|not supported|unsupported|refus' | tr '\t' ' ' | cut -c1-300)"
    fi
  fi
else note swin_t failed "needs python3 with torch and the published CLI"; fi

# --- images for embed and ingest: generated JPEGs (varied content and sizes, so decode is real work)
if [ -n "$PY" ]; then
  step images 45 "$PY" "$here/make_images.py" "$work/img" "$nimg"
fi
model_args=()
[ -f "$work/$arch.onnx" ] && model_args=(--model "$work/$arch.onnx")

# --- embed overlap
if [ -d "$work/img" ] && [ ${#model_args[@]} -gt 0 ] && have "$bench" embed; then
  # 256 distinct images (the bench decodes its whole folder up front), repeated to $eimg.
  mkdir -p "$work/img_embed"; ls "$work/img" | head -n 256 | while read -r f; do ln -sf "$work/img/$f" "$work/img_embed/$f"; done
  step embed 60 bash -c "'$bench' embed --device $dev --dir '$work/img_embed' --model '$work/$arch.onnx' --spec torchvision --batch $ebatch --images $eimg --repeat 2 --json > '$OUT/embed.json'"
else note embed skipped "needs the generated images and the exported ResNet-50"; fi

# --- ingest end to end
if [ -d "$work/img" ] && [ ${#model_args[@]} -gt 0 ] && have "$cli" ingest; then
  step ingest 60 bash -c "set -o pipefail; '$cli' index '$work/img' --db '$work/db' ${model_args[*]} --preprocess torchvision --device $dev --batch $ebatch --json | grep '\"summary\"' > '$OUT/ingest.json'"
else note ingest skipped "needs the generated images and the exported ResNet-50"; fi

# --- scan tuning on the device (last: it only gets what time is left): class default vs the search space, exact-checked
if have "$cli" tune; then
  step tune_scan 90 bash -c "'$cli' tune --device $dev --kernels scan --quick --json > '$OUT/tune_scan.json'"
fi

# --- the fragment
if [ -n "$PY" ]; then
  timeout -k 2 20 "$PY" "$here/report.py" "$OUT" "$dry" "$dev" "$n" "$d" "$arch" || echo "report.py failed: the raw outputs are in $OUT" >&2
else
  { echo "# GPU check (no python3: raw step table only)"; echo; echo '| step | status | rc | s | last line |'; echo '|---|---|---|---|---|';
    awk -F'\t' '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}' "$status"; } > "$OUT/gpu-check.md"
fi
echo "gpu check done in $(( $(date +%s) - start ))s: $OUT/gpu-check.md"
cat "$OUT/gpu-check.md" 2>/dev/null
