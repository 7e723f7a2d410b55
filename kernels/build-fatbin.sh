#!/usr/bin/env bash
# Compiles src/flood.cu into one fatbin: machine code for sm_80 (A100) and sm_90a (H100, H200), plus compute_90a
# PTX for the driver to compile on newer GPUs. Usage: build-fatbin.sh OUTPUT_FILE
#
# nvcc is taken from $NVCC, else from the PATH, else /usr/local/cuda/bin. Without nvcc the script says so and
# succeeds: the jar is then built without the fatbin, and the CUDA backend reports that it is unavailable.
# The fatbin is rebuilt only when a source is newer than it.
set -euo pipefail
out=$1
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/src

nvcc_bin=${NVCC:-}
if [ -z "$nvcc_bin" ]; then
  if command -v nvcc >/dev/null 2>&1; then
    nvcc_bin=nvcc
  elif [ -x /usr/local/cuda/bin/nvcc ]; then
    nvcc_bin=/usr/local/cuda/bin/nvcc
  fi
fi
if [ -z "$nvcc_bin" ]; then
  echo "flood-kernels: nvcc not found (set NVCC or put it on the PATH); building without CUDA kernels" >&2
  exit 0
fi
if [ -f "$out" ] && [ -z "$(find "$src" -newer "$out" -print -quit)" ]; then
  exit 0
fi
mkdir -p "$(dirname "$out")"
echo "flood-kernels: $nvcc_bin -> $out" >&2
"$nvcc_bin" -std=c++17 -O3 --threads 0 --fatbin \
  -gencode=arch=compute_80,code=sm_80 \
  -gencode=arch=compute_90a,code=sm_90a \
  -gencode=arch=compute_90a,code=compute_90a \
  -o "$out.partial" "$src/flood.cu"
mv "$out.partial" "$out"
