#!/usr/bin/env bash
# Real photos for the demo, from a Debian package: the sample images of opencv-doc (examples/data: 91 photos
# and drawings, with natural near-duplicate pairs such as stereo views aloeL/aloeR, leuvenA/B, graf1/3).
# Only that folder is extracted from the .deb (no install, no dependencies). Idempotent.
# Destination: $GPUSEARCH_DEMO (default ~/.cache/gpusearch/demo)/photos
set -euo pipefail
root=${GPUSEARCH_DEMO:-$HOME/.cache/gpusearch/demo}
dest=$root/photos
if [ -f "$dest/.complete" ]; then echo "demo photos present: $dest"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download opencv-doc >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  apt-get download opencv-doc >/dev/null
fi
dpkg-deb -x opencv-doc_*.deb x
rm -rf "$dest"; mkdir -p "$dest"
find x/usr/share/doc/opencv-doc/examples/data -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.png' \) -exec cp {} "$dest/" \;
cp x/usr/share/doc/opencv-doc/copyright "$dest/COPYRIGHT.opencv-doc" 2>/dev/null || true
touch "$dest/.complete"
echo "demo photos ready: $dest ($(ls "$dest" | wc -l) files)"
