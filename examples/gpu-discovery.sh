#!/usr/bin/env bash
# Spark's GPU discovery script for the examples (spark.worker.resource.gpu.discoveryScript): the ordinals of the
# machine's NVIDIA GPUs as Spark's resource JSON, e.g. {"name": "gpu", "addresses": ["0", "1"]}.
# FLOOD_GPU_ADDRESSES (e.g. "0,1") replaces nvidia-smi's list.
set -euo pipefail
addresses=${FLOOD_GPU_ADDRESSES:-$(nvidia-smi --query-gpu=index --format=csv,noheader | paste -sd, -)}
echo "{\"name\": \"gpu\", \"addresses\": [\"${addresses//,/\", \"}\"]}"
