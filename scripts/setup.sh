#!/usr/bin/env bash
# Installs what the engine and its tests need on Debian 12 (idempotent: installs only what is missing).
# python3-torch/-torchvision (~230 MB download) let the PyTorch parity tests make their fixtures; without
# them those tests skip, with the reason. python3-onnx lets the default model be checked against a numpy evaluation.
set -euo pipefail
pkgs=(ocl-icd-libopencl1 pocl-opencl-icd clinfo libturbojpeg0 libpng16-16 libwebp7 libjpeg-turbo-progs webp
      python3-numpy clang-14 libonnx-testdata python3-torch python3-torchvision python3-onnx chromium)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
