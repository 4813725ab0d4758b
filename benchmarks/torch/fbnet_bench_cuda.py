#!/usr/bin/python3
"""PyTorch CUDA yardstick for `benchmarks/gpu.sh` (issue 14): the net of fbnet_bench.py (same
builder, same step: SGD momentum, cross-entropy, random pixels) on one CUDA device.
  - training images/s at each of --train-batches: every step ends with loss.item(), as fbnet's
    bench awaits the loss each step (so the GPU is synchronised per step on both sides);
  - batch-1 inference latency: eval, no_grad, forward + .cpu() of the logits (median, p10, p90 ms).
Prints one JSON object on stdout; with no CUDA device, {"available": false, "reason": ...}.
"""
import json
import statistics
import time

import torch

from fbnet_bench import arg_parser, build, percentile, timed_steps


def main():
    ap = arg_parser()
    ap.add_argument('--train-batches', default='64,256,1024')
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--infer-iters', type=int, default=300)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({'available': False, 'reason': f'torch {torch.__version__}: torch.cuda.is_available() is False'}))
        return
    dev = torch.device('cuda')
    torch.manual_seed(0)
    with open(args.arch) as f:
        arch = json.load(f)
    size, cin, classes = arch['input_size'], arch.get('input_channels', 3), arch.get('num_classes', 1000)
    train = []
    for batch in [int(b) for b in args.train_batches.split(',') if b]:
        net = build(arch).to(dev).train()
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        loss_fn = torch.nn.CrossEntropyLoss()
        x = torch.rand(batch, cin, size, size, device=dev) * 255
        y = torch.randint(0, classes, (batch,), device=dev)

        def step():
            opt.zero_grad()
            loss = loss_fn(net((x / 255 - 0.5) / 0.5), y)
            loss.backward()
            opt.step()
            return loss.item()

        step_s = timed_steps(step, args.warmup, args.steps)
        train.append({'batch': batch, 'steps': args.steps, 'imagesPerSec': batch * args.steps / sum(step_s),
                      'imagesPerSecMedian': batch / statistics.median(step_s), 'stepMsMedian': statistics.median(step_s) * 1000})
    net = build(arch).to(dev).eval()
    x1 = torch.rand(1, cin, size, size, device=dev) * 255
    times = []
    with torch.no_grad():
        for _ in range(20):
            net((x1 / 255 - 0.5) / 0.5).cpu()
        for _ in range(args.infer_iters):
            t = time.perf_counter()
            net((x1 / 255 - 0.5) / 0.5).cpu()
            times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({
        'available': True,
        'framework': 'pytorch',
        'torchVersion': torch.__version__,
        'cuda': torch.version.cuda,
        'device': torch.cuda.get_device_name(0),
        'cudnn': torch.backends.cudnn.version(),
        'train': train,
        'infer': {'batch': 1, 'latencyMs': statistics.median(times), 'p10': percentile(times, 0.1), 'p90': percentile(times, 0.9)},
    }))


if __name__ == '__main__':
    main()
