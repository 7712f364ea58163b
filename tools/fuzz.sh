#!/bin/sh
# Long fuzz run (see tools/fuzz/README.md): CASES mutants per target (default 10000) with SEED (default 1).
set -eu
cd "$(dirname "$0")/.."
CASES="${1:-10000}"
SEED="${2:-1}"
SHARED="${GPUSEARCH_SHARED:-../shared}"
dotnet build tools/fuzz -c Release -nologo -v q
FUZZ="dotnet tools/fuzz/bin/Release/net10.0/gpusearch-fuzz.dll"
rc=0
$FUZZ --target images --cases "$CASES" --seed "$SEED" \
      --seeds "tests/GpuSearch.Tests/Fixtures/decode/generated,$SHARED/testdata/decoders" || rc=1
if [ -d "$SHARED/models" ]; then
  $FUZZ --target onnx --cases "$CASES" --seed "$SEED" --seeds "$SHARED/models" || rc=1
else
  echo "no ONNX seeds: $SHARED/models is absent (set GPUSEARCH_SHARED)"
fi
exit $rc
