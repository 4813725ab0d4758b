#!/usr/bin/python3
"""Per-op and per-phase profile of one PyTorch training step of an arch-def net (the yardstick
of benchmarks/profile-step.ts; never a dependency of fbnet-ts).

Same net, data, loss and SGD-momentum step as fbnet_bench.py. Phases are timed by wall clock
(median over --steps steps, every phase synchronous on the CPU): forward (+loss), backward,
optimizer. Then torch.profiler records --profiled steps; ops are reported by self CPU time
(time inside the op minus its children), per step. Prints one JSON object on stdout.
"""
import json
import statistics
import time

from torch.profiler import ProfilerActivity, profile

from fbnet_bench import arg_parser, result_header, training_setup


def main():
    ap = arg_parser()
    ap.add_argument('--profiled', type=int, default=5)
    args = ap.parse_args()
    _, net, x, y, opt, loss_fn = training_setup(args)
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
        **result_header(args),
        'phasesMs': {'forward': med(0), 'backward': med(1), 'optimizer': med(2), 'step': med(3)},
        'opsPerStep': sum(o['calls'] for o in ops),
        'selfMsPerStep': sum(o['selfMs'] for o in ops),
        'ops': ops[:25],
    }))


if __name__ == '__main__':
    main()
