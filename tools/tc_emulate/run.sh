#!/usr/bin/env bash
# tools/tc_emulate/run.sh — checks the CUDA tensor-core kernels (TC=1 in gemm.cl, attention.cl, scan_topk.cl) on
# the CPU by compiling them as host C++ against emulated_cuda.h (clang++-14, C++20, F16C for fp16 conversions):
#   gemm       gemm_f32_tc, all four transposes, and product_tc (relu + residual), bit-identical to the host on small integers
#   attention  sdpa_tc vs the portable sdpa, max |difference| < 1e-2, at MAX_D 32/64/128
#   scan       scan_topk + scan_scores built with TC=1 and TC=0, byte-identical output on small integers, QT 16/32/64
# No GPU and no CUDA toolkit needed; a GPU run of TensorCoreParityTests is still the real check. ~1-2 min on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); kernels=$(cd "$here/../../kernels" && pwd)
CXX=${CXX:-clang++-14}
work=$(mktemp -d "${TMPDIR:-/tmp}/tc-emulate.XXXXXX"); trap 'rm -rf "$work"' EXIT
build() { local out=$1; shift; "$CXX" -std=c++20 -O1 -mf16c -pthread -w -I"$kernels" -DCUDA -include "$here/emulated_cuda.h" "$@" "$here/emulated_launch.cpp" -o "$work/$out"; }
fail=0
for t in "0 0" "1 0" "0 1" "1 1"; do
  set -- $t
  build gemm "$here/gemm_check.cpp" -DTC=1 -DTRANS_A=$1 -DTRANS_B=$2 -DACT=1 -DHAS_RES=1
  "$work/gemm" || fail=1
done
for v in "32 4 1" "64 8 1" "128 16 2"; do
  set -- $v
  build attention "$here/attention_check.cpp" -DTC=1 -DMAX_D=$1 -DDV_TILES=$2 -DACC=$3
  "$work/attention" || fail=1
done
for qt in 16 32 64; do
  for tc in 0 1; do build "scan$tc" "$here/scan_check.cpp" -DTC=$tc -DDTYPE=1 -DQT=$qt -DRPW=1 -DROWS=64 -DKF=32; done
  for d in 100 64; do
    "$work/scan0" "$work/o0" 1 $d; "$work/scan1" "$work/o1" 1 $d
    if cmp -s "$work/o0" "$work/o1"; then echo "scan QT=$qt d=$d: TC=1 output identical to TC=0 ($(stat -c %s "$work/o0") bytes)"
    else echo "scan QT=$qt d=$d: TC=1 output DIFFERS from TC=0"; fail=1; fi
  done
done
[ $fail = 0 ] && echo "tc_emulate: all checks passed" || { echo "tc_emulate: FAILED"; exit 1; }
