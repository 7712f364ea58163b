#!/usr/bin/env bash
# Unpacks Debian's OpenBLAS (libopenblas0-pthread) into a scratch folder without installing it, and
# prints the folder holding its libblas.so.3, for
#   gpusearch-bench knn --faiss --faiss-blas "$(bench/get_openblas.sh)"
# which times FAISS with an optimized BLAS next to the system default (Debian's python3-faiss links
# libblas.so.3, which is the netlib reference BLAS unless an alternative is installed).
set -euo pipefail
dir=${1:-/tmp/gpusearch-openblas}
lib="$dir/usr/lib/x86_64-linux-gnu/openblas-pthread"
if [ ! -f "$lib/libblas.so.3" ]; then
  mkdir -p "$dir/deb"
  ( cd "$dir/deb" && apt-get download libopenblas0-pthread >&2 )
  dpkg-deb -x "$dir"/deb/libopenblas0-pthread_*.deb "$dir"
fi
echo "$lib"
