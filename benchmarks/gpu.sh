#!/bin/sh
# One-command GPU benchmark (issue 14): on the machine with the GPU, in the checkout root after `npm ci`,
#   benchmarks/gpu.sh [--out gpu.json] [--batches 1,64,256,1024] [--steps 10] [--py /path/to/python-with-torch]
# prints ONE JSON (last stdout line; progress on stderr): the WebGPU adapter Dawn finds, the webgpu plugin's
# training img/s at each batch with its per-step GPU work (submits, read-backs, pipelines, uniform writes)
# and batch-1 inference, the wasm plugin on the host CPU (train, batch-1 inference), PyTorch CUDA when
# `python3 -c 'import torch; torch.cuda.is_available()'` says so (else why not), and issue 14's targets.
# `--quick` is a correctness run (tiny batches, 2 steps); `--skip webgpu,wasm,torch` leaves parts out.
cd "$(dirname "$0")/.." || exit 2
exec node benchmarks/gpu-bench.mjs "$@"
