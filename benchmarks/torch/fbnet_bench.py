#!/usr/bin/python3
"""PyTorch yardstick for the fbnet-ts whole-net benchmarks (never a dependency of fbnet-ts).

Builds the same net as @fbnet/nn from an arch-def JSON (the subset the reference nets use:
conv_k{1,3,5}, ir_k{3,5} with `expansion`, ReLU, BN, symmetric k//2 padding, implicit
global-pool + linear head), then measures
  - training images/s: SGD momentum steps at --batch on random data, after warm-up
    (batch / mean step time, and batch / median step time, robust to other load);
  - batch-1 inference latency (eval mode, no_grad): median, p10, p90 in ms.
Prints one JSON object on stdout. Run with /usr/bin/python3 (torch.set_num_threads(--threads)).
"""
import argparse
import json
import re
import statistics
import time

import torch
import torch.nn as nn


def conv_bn(cin, cout, k, s, groups=1, relu=True):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class IR(nn.Module):
    def __init__(self, cin, cout, k, s, e):
        super().__init__()
        mid = int(cin * e)
        layers = []
        if mid != cin:
            layers.append(conv_bn(cin, mid, 1, 1))
        layers.append(conv_bn(mid, mid, k, s, groups=mid))
        layers.append(conv_bn(mid, cout, 1, 1, relu=False))
        self.body = nn.Sequential(*layers)
        self.res = s == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return y + x if self.res else y


def build(arch):
    cin = arch.get('input_channels', 3)
    layers = []
    for stage in arch['blocks']:
        for block in stage:
            op, c, s, n = block[:4]
            kw = {}
            for d in block[4:]:
                kw.update(d)
            for r in range(n):
                stride = s if r == 0 else 1
                m = re.fullmatch(r'(conv|ir)_k(\d)', op)
                if not m:
                    raise SystemExit(f'fbnet_bench.py: op {op} not supported by this yardstick')
                k = int(m.group(2))
                if m.group(1) == 'conv':
                    layers.append(conv_bn(cin, c, k, stride))
                else:
                    layers.append(IR(cin, c, k, stride, kw.get('expansion', 6)))
                cin = c
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, arch.get('num_classes', 1000)))


def percentile(xs, q):
    xs = sorted(xs)
    i = min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))
    return xs[i]


def timed_steps(step, warmup, steps):
    """Runs `step` warmup times untimed, then `steps` times; returns each timed step's seconds."""
    for _ in range(warmup):
        step()
    step_s = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        step_s.append(time.perf_counter() - t)
    return step_s


def arg_parser():
    """The arguments every yardstick script of this folder takes."""
    ap = argparse.ArgumentParser()
    ap.add_argument('arch')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=30)
    return ap


def training_setup(args):
    """The net of args.arch, one random batch, SGD momentum and cross-entropy (seeded, args.threads threads)."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with open(args.arch) as f:
        arch = json.load(f)
    net = build(arch)
    size, cin = arch['input_size'], arch.get('input_channels', 3)
    x = torch.rand(args.batch, cin, size, size) * 255
    y = torch.randint(0, arch.get('num_classes', 1000), (args.batch,))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    return arch, net, x, y, opt, nn.CrossEntropyLoss()


def result_header(args):
    """The fields every yardstick result of this folder starts with."""
    return {
        'framework': 'pytorch',
        'torchVersion': torch.__version__,
        'threads': torch.get_num_threads(),
        'batch': args.batch,
        'steps': args.steps,
    }


def main():
    ap = arg_parser()
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--infer-iters', type=int, default=300)
    args = ap.parse_args()
    arch, net, x, y, opt, loss_fn = training_setup(args)
    size, cin = arch['input_size'], arch.get('input_channels', 3)

    def step():
        opt.zero_grad()
        loss = loss_fn(net((x / 255 - 0.5) / 0.5), y)
        loss.backward()
        opt.step()
        return loss.item()

    net.train()
    step_s = timed_steps(step, args.warmup, args.steps)
    train_s = sum(step_s)

    net.eval()
    x1 = torch.rand(1, cin, size, size) * 255
    times = []
    with torch.no_grad():
        for _ in range(20):
            net((x1 / 255 - 0.5) / 0.5)
        for _ in range(args.infer_iters):
            t = time.perf_counter()
            net((x1 / 255 - 0.5) / 0.5)
            times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({
        **result_header(args),
        'imagesPerSec': args.batch * args.steps / train_s,
        'imagesPerSecMedian': args.batch / statistics.median(step_s),
        'stepMs': train_s * 1000 / args.steps,
        'latencyMs': statistics.median(times),
        'p10': percentile(times, 0.1),
        'p90': percentile(times, 0.9),
    }))


if __name__ == '__main__':
    main()
