#!/usr/bin/env bash
# bundle.sh PUBLISH_DIR: packs PUBLISH_DIR/{cli,bench,tests} (self-contained `make publish` output) into
# PUBLISH_DIR/gpu.tar.xz for the GPU machine, whose carried files are limited to 64 MiB: identical files of the three
# folders (the .NET runtime, the library) are hard-linked so tar stores them once; model weights (the GPU check exports
# its own), the Playwright browser driver and the ONNX Runtime native library (bench-only CPU baseline) stay behind.
set -euo pipefail
pub=${1:?usage: bundle.sh PUBLISH_DIR}
cd "$pub"
for d in cli bench tests; do [ -d "$d" ] || { echo "bundle.sh: $pub/$d missing (run make publish)" >&2; exit 2; }; done
stage=$(mktemp -d "${TMPDIR:-/tmp}/gpusearch-bundle.XXXXXX"); trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/publish"
cp -a cli bench tests "$stage/publish/"
rm -rf "$stage"/publish/*/models "$stage"/publish/*/.playwright "$stage"/publish/bench/libonnxruntime*.so
# Hard-link every file of bench/ and tests/ that is byte-identical to the same path under cli/ (or bench/).
(cd "$stage/publish" && for d in bench tests; do
  find "$d" -type f | while read -r f; do
    rel=${f#"$d"/}
    for src in cli bench; do
      [ "$src" = "$d" ] && continue
      if [ -f "$src/$rel" ] && cmp -s "$src/$rel" "$f"; then ln -f "$src/$rel" "$f"; break; fi
    done
  done
done)
tar -C "$stage" -cJf gpu.tar.xz.tmp publish
mv gpu.tar.xz.tmp gpu.tar.xz
echo "bundle.sh: $pub/gpu.tar.xz $(du -h gpu.tar.xz | cut -f1) (unpacked $(du -sh "$stage/publish" | cut -f1) with links)"
