#!/usr/bin/python3
"""Per-op and per-phase profile of one PyTorch training step of an arch-def net (the yardstick
of benchmarks/profile-step.ts; never a dependency of fbnet-ts).

Same net, data, loss and SGD-momentum step as fbnet_bench.py. Phases are timed by wall clock
(median over --steps steps, every phase synchronous on the CPU): forward (+loss), backward,
optimizer. Then torch.profiler records --profiled steps; ops are reported by self CPU time
(time inside the op minus its children), per step. Prints one JSON object on stdout.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
from torch.profiler import ProfilerActivity, profile

from fbnet_bench import build


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('arch')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--profiled', type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with open(args.arch) as f:
        arch = json.load(f)
    net = build(arch)
    size, cin = arch['input_size'], arch.get('input_channels', 3)
    x = torch.rand(args.batch, cin, size, size) * 255
    y = torch.randint(0, arch.get('num_classes', 1000), (args.batch,))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    net.train()

    def step(times=None):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(net((x / 255 - 0.5) / 0.5), y)
        loss.item()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if times is not None:
            times.append((t1 - t0, t2 - t1, t3 - t2, t3 - t0))

    for _ in range(5):
        step()
    times = []
    for _ in range(args.steps):
        step(times)
    med = lambda i: statistics.median(t[i] for t in times) * 1000
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(args.profiled):
            step()
    ops = []
    for e in prof.key_averages():
        ops.append({'op': e.key, 'calls': e.count / args.profiled, 'selfMs': e.self_cpu_time_total / 1000 / args.profiled})
    ops.sort(key=lambda o: -o['selfMs'])
    print(json.dumps({
        'framework': 'pytorch',
        'torchVersion': torch.__version__,
        'threads': torch.get_num_threads(),
        'batch': args.batch,
        'steps': args.steps,
        'phasesMs': {'forward': med(0), 'backward': med(1), 'optimizer': med(2), 'step': med(3)},
        'opsPerStep': sum(o['calls'] for o in ops),
        'selfMsPerStep': sum(o['selfMs'] for o in ops),
        'ops': ops[:25],
    }))


if __name__ == '__main__':
    main()
