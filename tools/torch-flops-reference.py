#!/usr/bin/python3
"""Independent PyTorch count of FLOPs and params for @fbnet/shape-propagation.

Builds each arch def (the JSON form of a mobile-vision arch def) as a torch.nn network with
its own implementation of the mobile-vision op rules (IRFBlock, IRPoolBlock, ConvBNRelu,
Identity, SEModule, get_divisible_by), runs one forward pass at the arch's input size and
counts, with forward hooks:
  FLOPs  = multiply-adds of every Conv2d/Linear weight (weight.numel() * output pixels;
           bias and BN excluded) + the input elements of every AdaptiveAvgPool2d
  params = Conv2d/Linear weights (no bias, no BN)
per block and in total, plus every block's output shape [h, w, c].

Run with Debian's python3 (python3-torch), from the repository root:
  /usr/bin/python3 tools/torch-flops-reference.py
It reads packages/shape-propagation/fixtures/{ARCHS}.json and writes
packages/shape-propagation/fixtures/torch-reference.json.
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn

torch.set_num_threads(2)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "packages", "shape-propagation", "fixtures")
ARCHS = ["fbnetv3_a", "fbnetv3_a0", "fbnetv3_b", "fbnet-v1-imagenet-sample", "fbnet-v1-fmnist-largest", "all-ops"]


def py2_round(x):
    return math.floor(x + 0.5) if x >= 0.0 else math.ceil(x - 0.5)


def get_divisible_by(num, divisible_by=8, min_val=None):
    ret = int(num)
    if min_val is None:
        min_val = divisible_by
    if divisible_by > 0 and num % divisible_by != 0:
        ret = int((py2_round(num / divisible_by) or 1) * divisible_by)
        if ret < 0.95 * num:
            ret += divisible_by
    if ret < min_val:
        ret = min_val
    return ret


class HSigmoid(nn.Module):
    def forward(self, x):
        return nn.functional.relu6(x + 3.0) / 6.0


def build_act(name):
    return {"relu": nn.ReLU(), "hswish": nn.Hardswish(), None: nn.Identity()}[name]


def conv_bn_act(cin, cout, k, stride=1, padding=0, groups=1, bias=False, bn=True, act="relu"):
    layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=bias)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(build_act(act))
    return nn.Sequential(*layers)


class ChannelShuffle(nn.Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.size()
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class SE(nn.Module):
    def __init__(self, c, mid, act, gate):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, mid, 1, bias=True)
        self.act = build_act(act)
        self.fc2 = nn.Conv2d(mid, c, 1, bias=True)
        self.gate = nn.Sigmoid() if gate == "sigmoid" else HSigmoid()

    def forward(self, x):
        return x * self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))


class IRF(nn.Module):
    """mobile-vision IRFBlock: [pw (+shuffle)] -> dw -> [SE] -> pwl (+ residual)."""

    def __init__(self, cin, cout, stride, k, act, se, pw_groups, kw, wd):
        super().__init__()
        e = kw.get("expansion", 6)
        wd = kw.get("width_divisor", wd)
        bias = kw.get("bias", False)
        mid = get_divisible_by(cin * e, wd)
        pw_groups = kw.get("pw_groups", pw_groups)
        seq = []
        if cin != mid:
            seq.append(conv_bn_act(cin, mid, 1, groups=pw_groups, bias=bias, act=act))
        if pw_groups > 1:
            seq.append(ChannelShuffle(pw_groups))
        pad = kw.get("dw_args", {}).get("padding", k // 2)
        pad = tuple(pad) if isinstance(pad, list) else pad
        seq.append(conv_bn_act(mid, mid, k, stride, pad, groups=mid // kw.get("dw_group_ratio", 1), bias=bias, act=act))
        if se:
            ratio = 0.25 / e if kw.get("less_se_channels", False) else 0.25
            seq.append(SE(mid, get_divisible_by(int(mid * ratio), wd), act, se))
        seq.append(conv_bn_act(mid, cout, 1, groups=kw.get("pwl_groups", 1), bias=bias, act=None))
        self.body = nn.Sequential(*seq)
        self.res = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return y + x if self.res else y


class IRPool(nn.Module):
    """mobile-vision IRPoolBlock: [pw] -> global pool -> 1x1 conv + act (no BN)."""

    def __init__(self, cin, cout, stride, act, kw, wd):
        super().__init__()
        mid = get_divisible_by(cin * kw.get("expansion", 6), kw.get("width_divisor", wd))
        bias = kw.get("bias", False)
        seq = []
        if cin != mid:
            seq.append(conv_bn_act(cin, mid, 1, bias=bias, act=act))
        seq += [nn.AdaptiveAvgPool2d(1), conv_bn_act(mid, cout, 1, bias=bias, bn=False, act=act)]
        self.body = nn.Sequential(*seq)
        self.res = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return y + x if self.res else y


def merge_kwargs(parts):
    out = {}
    for p in parts:
        for k, v in p.items():
            if isinstance(out.get(k), dict) and isinstance(v, dict):
                out[k] = {**out[k], **v}
            else:
                out[k] = v
    return out


def build_op(op, cin, cout, stride, kw, wd):
    act = "hswish" if op.endswith("_hs") else "relu"
    base = op[: -len("_hs")] if op.endswith("_hs") else op[: -len("_relu")] if op.endswith("_relu") else op
    if base.startswith("conv_k"):
        k = int(base[len("conv_k"):])
        # bias excluded from the count either way
        return conv_bn_act(cin, cout, k, stride, k // 2, bias=kw.get("bias", False), act=act)
    if base == "skip":
        # mobile-vision Identity: a 1x1 ConvBNRelu when the shape changes
        return nn.Identity() if cin == cout and stride == 1 else conv_bn_act(cin, cout, 1, stride, 0, act="relu")
    if base == "ir_pool":
        return IRPool(cin, cout, stride, act, kw, wd)
    if base.startswith("ir_k"):
        parts = base.split("_")
        k = int(parts[1][1:])
        se = "hsigmoid" if "sehsig" in parts else "sigmoid" if "se" in parts else None
        return IRF(cin, cout, stride, k, act, se, 2 if "g2" in parts else 1, kw, wd)
    raise ValueError(f"unknown op {op}")


def build(arch):
    wd = arch.get("basic_args", {}).get("width_divisor", 1)
    c = arch.get("input_channels", 3)
    blocks = []
    for si, stage in enumerate(arch["blocks"]):
        for bi, (op, cout, stride, n, *kws) in enumerate(stage):
            kw = merge_kwargs(kws)
            for r in range(n):
                blocks.append(((si, bi, r, op), build_op(op, c, cout, stride if r == 0 else 1, kw, wd)))
                c = cout
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, arch.get("num_classes", 1000), 1, bias=True))
    return blocks, head


def count(arch):
    blocks, head = build(arch)
    counter = {"flops": 0, "params": 0}

    def conv_hook(m, inp, out):
        n = m.weight.numel()
        counter["flops"] += n * out.shape[2] * out.shape[3]
        counter["params"] += n

    def pool_hook(m, inp, out):
        counter["flops"] += inp[0][0].numel()

    modules = [m for _, b in blocks for m in b.modules()] + list(head.modules())
    for m in modules:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(conv_hook)
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            m.register_forward_hook(pool_hook)

    size = arch["input_size"]
    x = torch.zeros(1, arch.get("input_channels", 3), size, size)
    rows = []
    with torch.no_grad():
        for (si, bi, r, op), b in blocks:
            before = dict(counter)
            b.eval()
            x = b(x)
            rows.append({
                "stage": si, "block": bi, "repeat": r, "op": op,
                "output": [x.shape[2], x.shape[3], x.shape[1]],
                "flops": counter["flops"] - before["flops"],
                "params": counter["params"] - before["params"],
            })
        before = dict(counter)
        y = head(x)
    return {
        "flops": counter["flops"],
        "params": counter["params"],
        "head": {"flops": counter["flops"] - before["flops"], "params": counter["params"] - before["params"]},
        "output": [y.shape[2], y.shape[3], y.shape[1]],
        "blocks": rows,
    }


def main():
    out = {
        "version": 1,
        "generator": "tools/torch-flops-reference.py",
        "torch": torch.__version__,
        "convention": "FLOPs = conv/linear weight multiply-adds + global-pool input elements; params = conv/linear weights; no bias, no BN",
        "archs": {},
    }
    for name in ARCHS:
        with open(os.path.join(FIXTURES, name + ".json")) as f:
            arch = json.load(f)
        out["archs"][name] = count(arch)
        print(f"{name}: {out['archs'][name]['flops']} FLOPs, {out['archs'][name]['params']} params", file=sys.stderr)
    with open(os.path.join(FIXTURES, "torch-reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
