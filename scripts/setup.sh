#!/usr/bin/env bash
# Installs what the engine and its tests need on Debian 12 (idempotent: installs only what is missing).
# python3-torch/-torchvision (~230 MB download) let the PyTorch parity tests make their fixtures; without
# them those tests skip, with the reason. python3-onnx lets the default model be checked against a numpy evaluation.
set -euo pipefail
pkgs=(ocl-icd-libopencl1 pocl-opencl-icd clinfo libturbojpeg0 libpng16-16 libwebp7 libjpeg-turbo-progs webp
      python3 clang-14 libonnx-testdata chromium)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
install() {
  echo "setup: installing $*"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if ((${#missing[@]})); then install "${missing[@]}"; fi
# Python modules are checked by importing the names the scripts use (scripts/python-deps.py says why).
mapfile -t py_missing < <(/usr/bin/python3 "$(dirname "$0")/python-deps.py")
if ((${#py_missing[@]})); then install "${py_missing[@]}"; fi
mapfile -t py_missing < <(/usr/bin/python3 "$(dirname "$0")/python-deps.py")
# Still missing after the install (say torch on a CPU it does not support): what needs them skips or says so.
if ((${#py_missing[@]})); then
  echo "setup: warning: ${py_missing[*]} installed, but /usr/bin/python3 still cannot import what the scripts use from them" >&2
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
