#!/usr/bin/python3
"""PyTorch yardstick for @fbnet/native-kernels: the same ops on the same shapes, side by side.

Run the native benchmark first (it lists the ops and their shapes), then this:
    npm run bench -w @fbnet/native-kernels
    /usr/bin/python3 benchmarks/torch/kernels.py [--threads 2] [--min-time 0.3]
It times every op of benchmarks/results/native-kernels-<hostname>.json with torch (CPU,
NCHW float32, --threads intra-op threads) and a whole training step (forward, smoothed
cross-entropy, backward; no optimizer) of packages/backends/native/bench/small-net.json,
prints native vs torch, and stores the torch numbers under "torch" in that JSON file.

Per-op equivalents: conv fwd = F.conv2d; dx / dw = aten.convolution_backward with one output
mask bit (what autograd calls); depthwise = groups=c; BN fwd = aten.native_batch_norm (training)
+ activation; BN bwd = activation backward + aten.native_batch_norm_backward; gemm = torch.mm.
Median and minimum of per-call wall times after warm-up; ratios use the minima (robust to other
processes on a shared machine; torch's OpenMP threads suffer badly when cores are oversubscribed).
"""
import argparse
import json
import os
import socket
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NET = os.path.join(ROOT, "packages", "backends", "native", "bench", "small-net.json")


def timeit(fn, min_time):
    """{'p50', 'min'} of per-call wall times in ms (min: the op's own cost on a shared machine)."""
    for _ in range(3):
        fn()
    samples = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_time or len(samples) < 5:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return {"p50": statistics.median(samples) * 1e3, "min": min(samples) * 1e3}


ACT = {"none": lambda z: z, "relu": F.relu, "relu6": F.relu6, "hswish": F.hardswish}


def cpu_min(fn, reps):
    """Minimum process CPU time of one call in ms (meaningful with 1 thread: immune to other
    processes taking turns on the cores, unlike wall time)."""
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best * 1e3


def act_backward(act, dy, z):
    if act == "none":
        return dy
    if act == "relu":
        return torch.ops.aten.threshold_backward(dy, z, 0.0)
    if act == "relu6":
        return torch.ops.aten.hardtanh_backward(dy, z, 0.0, 6.0)
    return torch.ops.aten.hardswish_backward(dy, z)


def op_fn(spec):
    kind, pas, p = spec["kind"], spec["pass"], spec["p"]
    if kind in ("conv2d", "depthwise"):
        c_in = p["cin"] if kind == "conv2d" else p["c"]
        c_out = p["cout"] if kind == "conv2d" else p["c"]
        groups = p.get("groups", 1) if kind == "conv2d" else p["c"]
        s, ph, pw = p["stride"], p["padH"], p["padW"]
        x = torch.randn(p["n"], c_in, p["h"], p["w"])
        w = torch.randn(c_out, c_in // groups, p["kh"], p["kw"])
        y = F.conv2d(x, w, None, s, (ph, pw), 1, groups)
        dy = torch.randn_like(y)
        if pas == "fwd":
            return lambda: F.conv2d(x, w, None, s, (ph, pw), 1, groups)
        mask = [True, False, False] if pas == "dx" else [False, True, False]
        return lambda: torch.ops.aten.convolution_backward(
            dy, x, w, None, [s, s], [ph, pw], [1, 1], False, [0, 0], groups, mask)
    if kind == "bn":
        x = torch.randn(p["n"], p["c"], p["h"], p["w"])
        g, b = torch.ones(p["c"]), torch.zeros(p["c"])
        act = p["act"]
        if pas == "fwd":
            return lambda: ACT[act](torch.ops.aten.native_batch_norm(x, g, b, None, None, True, 0.1, 1e-5)[0])
        z, mean, invstd = torch.ops.aten.native_batch_norm(x, g, b, None, None, True, 0.1, 1e-5)
        dy = torch.randn_like(x)

        def bwd():
            dz = act_backward(act, dy, z)
            return torch.ops.aten.native_batch_norm_backward(dz, x, g, None, None, mean, invstd, True, 1e-5,
                                                             [True, True, True])
        return bwd
    if kind == "gemm":
        a, b = torch.randn(p["m"], p["k"]), torch.randn(p["k"], p["n"])
        return lambda: torch.mm(a, b)
    raise ValueError(kind)


class ConvBnAct(nn.Sequential):
    def __init__(self, cin, cout, k, s, groups, act):
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if act == "relu":
            layers.append(nn.ReLU(inplace=True))
        elif act == "relu6":
            layers.append(nn.ReLU6(inplace=True))
        elif act == "hswish":
            layers.append(nn.Hardswish(inplace=True))
        super().__init__(*layers)


class Shuffle(nn.Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class Block(nn.Module):
    def __init__(self, cin, b):
        super().__init__()
        mid = cin * b["e"]
        layers = []
        if b["e"] != 1:
            layers.append(ConvBnAct(cin, mid, 1, 1, b["groups"], b["act"]))
            if b["groups"] > 1:
                layers.append(Shuffle(b["groups"]))
        layers.append(ConvBnAct(mid, mid, b["k"], b["stride"], mid, b["act"]))
        layers.append(ConvBnAct(mid, b["cout"], 1, 1, b["groups"], "none"))
        self.body = nn.Sequential(*layers)
        self.res = b["stride"] == 1 and cin == b["cout"]

    def forward(self, x):
        y = self.body(x)
        return y + x if self.res else y


def build_net(spec):
    c = spec["input"]["c"]
    s = spec["stem"]
    layers = [ConvBnAct(c, s["cout"], s["k"], s["stride"], 1, s["act"])]
    c = s["cout"]
    for b in spec["blocks"]:
        layers.append(Block(c, b))
        c = b["cout"]
    layers.append(ConvBnAct(c, spec["head"]["cout"], 1, 1, 1, spec["head"]["act"]))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(spec["head"]["cout"], spec["numClasses"])]
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=0.3)
    ap.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results",
                                                      f"native-kernels-{socket.gethostname()}.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with open(NET) as f:
        spec = json.load(f)
    results = None
    if os.path.exists(args.results):
        with open(args.results) as f:
            results = json.load(f)

    net = build_net(spec).train()
    n = spec["batch"]
    x = torch.randn(n, spec["input"]["c"], spec["input"]["h"], spec["input"]["w"])
    labels = torch.arange(n) * 7 % spec["numClasses"]

    def step():
        for prm in net.parameters():
            prm.grad = None
        loss = F.cross_entropy(net(x), labels, label_smoothing=0.1)
        loss.backward()

    step_ms = timeit(step, max(args.min_time, 2.0))
    ops = {}
    if results:
        for o in results["ops"]:
            if o.get("spec"):
                ops[o["key"]] = timeit(op_fn(o["spec"]), args.min_time)
    # single-thread CPU time, comparable with the native benchmark's cpu1 column
    torch.set_num_threads(1)
    cpu1 = {"step": cpu_min(step, 10), "ops": {}}
    if results:
        for o in results["ops"]:
            if o.get("spec"):
                cpu1["ops"][o["key"]] = cpu_min(op_fn(o["spec"]), 20)
    torch.set_num_threads(args.threads)

    print(f"torch {torch.__version__}, {args.threads} threads, NCHW float32; ms per call (min over samples)")
    print(f"load average (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if results:
        threads = [str(t) for t in results["threads"]]
        tmax = threads[-1]
        print(f"{'op':46s} {'MFLOP':>7s} " + " ".join(f"{'native T' + t:>10s}" for t in threads)
              + f" {'torch T' + str(args.threads):>9s} {'torch/nat':>9s} | {'cpu1 nat':>9s} {'cpu1 torch':>10s} {'ratio':>6s}")
        for o in results["ops"]:
            t = ops.get(o["key"], {}).get("min")
            nat = o["native"].get(tmax, {}).get("min")
            cols = " ".join(f"{o['native'].get(th, {}).get('min', float('nan')):10.3f}" for th in threads)
            ratio = f"{t / nat:9.2f}" if t and nat else " " * 9
            mf = f"{o['flops'] / 1e6:7.1f}" if o["flops"] else " " * 7
            c_nat, c_t = o.get("cpu1"), cpu1["ops"].get(o["key"])
            c_ratio = f"{c_t / c_nat:6.2f}" if c_nat and c_t else ""
            print(f"{o['key']:46s} {mf} {cols} {t if t is not None else float('nan'):9.3f} {ratio} | "
                  f"{c_nat if c_nat is not None else float('nan'):9.3f} {c_t if c_t is not None else float('nan'):10.3f} {c_ratio}")
        nat_step = results["step"].get(tmax)
        print(f"\ntrain step batch {n}: torch p50 {step_ms['p50']:.2f} / min {step_ms['min']:.2f} ms "
              f"({n * 1000 / step_ms['min']:.0f} img/s); "
              + ", ".join(f"native T{t} p50 {results['step'][t]['p50']:.2f} / min {results['step'][t]['min']:.2f} ms"
                          for t in threads)
              + (f"; torch/native (min) {step_ms['min'] / nat_step['min']:.2f}" if nat_step else ""))
        if results.get("cpuStep1"):
            print(f"single-thread CPU time per step: native {results['cpuStep1']:.2f} ms, torch {cpu1['step']:.2f} ms "
                  f"(torch/native {cpu1['step'] / results['cpuStep1']:.2f})")
        results["torch"] = {"threads": args.threads, "version": torch.__version__, "layout": "NCHW",
                            "loadavg1": round(os.getloadavg()[0], 2), "step": step_ms, "ops": ops, "cpu1": cpu1,
                            "date": time.strftime("%Y-%m-%dT%H:%M:%S")}
        with open(args.results, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
        print(f"stored torch timings in {args.results}")
    else:
        print(f"train step batch {n}: p50 {step_ms['p50']:.2f} ms, min {step_ms['min']:.2f} ms "
              f"({n * 1000 / step_ms['min']:.0f} img/s)")
        print("no native results yet: run `npm run bench -w @fbnet/native-kernels` first for the per-op table")


if __name__ == "__main__":
    main()
