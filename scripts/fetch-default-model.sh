#!/usr/bin/env bash
# Fetches the default embedding model from the npm registry and converts it to ONNX (idempotent).
#   Package: nsfwjs@4.4.0 (MIT), pinned by the tarball's SHA-256 below.
#   Model:   its MobileNetV2 (ImageNet-initialised, fine-tuned on 5 classes), converted by
#            tools/tfjs_extract.js + tools/tfjs_to_onnx.py; `embedding` = the 1280-d pooled features.
# Destination: $GPUSEARCH_MODELS (default ~/.cache/gpusearch/models)/nsfwjs-mobilenet-v2-4.4.0/
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
PKG=nsfwjs
VERSION=4.4.0
TARBALL_SHA256=585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382
root=${GPUSEARCH_MODELS:-$HOME/.cache/gpusearch/models}
dest=$root/nsfwjs-mobilenet-v2-$VERSION
model=${1:-mobilenet_v2}

if [ -f "$dest/model.onnx" ] && [ -f "$dest/model.onnx.sha256" ] && (cd "$dest" && sha256sum -c --quiet model.onnx.sha256 2>/dev/null); then
  echo "default model present: $dest/model.onnx"
  exit 0
fi

need=()
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
# Not `import onnx`: libonnx-testdata's bare onnx/ folder satisfies that without python3-onnx.
/usr/bin/python3 -c "import numpy; from onnx import TensorProto, helper, numpy_helper" 2>/dev/null || need+=(python3-onnx python3-numpy)
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetching $PKG@$VERSION from the npm registry"
(cd "$work" && npm pack --silent "$PKG@$VERSION" >/dev/null)
tgz=$work/$PKG-$VERSION.tgz
echo "$TARBALL_SHA256  $tgz" | sha256sum -c --quiet || { echo "checksum mismatch for $PKG@$VERSION: refusing to use it" >&2; exit 1; }
tar -xzf "$tgz" -C "$work"
node "$here/tools/tfjs_extract.js" "$work/package/dist/models/$model" "$work/extracted"
mkdir -p "$dest.tmp"
/usr/bin/python3 "$here/tools/tfjs_to_onnx.py" "$work/extracted" "$dest.tmp/model.onnx" --size 224
cp "$work/package/LICENSE" "$dest.tmp/LICENSE"
cat > "$dest.tmp/SOURCE.txt" <<SRC
npm package $PKG@$VERSION (licence: MIT, see LICENSE), tarball sha256 $TARBALL_SHA256
model: dist/models/$model (tfjs layers model, uint8-quantised weights), converted by tools/tfjs_to_onnx.py
input: 'input' [N,3,224,224] RGB scaled to [0,1]; outputs: 'embedding' [N,1280], 'probs' [N,5]
SRC
(cd "$dest.tmp" && sha256sum model.onnx > model.onnx.sha256)
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "default model ready: $dest/model.onnx"
