#!/usr/bin/python3
"""Independent PyTorch reference for @fbnet/nn numerics.

Reads the resolved block specs, parameters (fbnet-ts layout) and an input batch written by
tools/make-nn-fixtures.ts, builds the same network with torch.nn.functional, and writes the
eval-mode logits, train-mode logits, the label-smoothed cross-entropy loss, the gradient of
every trainable parameter (converted back to fbnet-ts layout) and BN running statistics
after one training forward (momentum 0.1, unbiased variance, as PyTorch).
Run with Debian's python3 (python3-torch):  /usr/bin/python3 tools/torch-nn-reference.py in.json out.json
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.set_default_dtype(torch.float64)  # reference in double precision


def to_torch_filter(w, node):
    # fbnet-ts: dense/grouped [kh, kw, cin/g, cout]; depthwise [kh, kw, c, 1]
    # torch:    [cout, cin/g, kh, kw]
    depthwise = node["groups"] > 1 and node["groups"] == node["inChannels"] == node["outChannels"]
    if depthwise:
        return w.permute(2, 3, 0, 1)  # [c, 1, kh, kw]
    return w.permute(3, 2, 0, 1)


def act(x, a):
    if a == "none":
        return x
    if a == "relu":
        return F.relu(x)
    if a == "hswish":
        return x * F.relu6(x + 3) / 6
    if a == "sigmoid":
        return torch.sigmoid(x)
    if a == "hsigmoid":
        return F.relu6(x + 3) / 6
    raise ValueError(a)


def run(fx, training):
    params = {}
    for k, v in fx["params"].items():
        t = torch.tensor(v["data"], dtype=torch.float64).reshape(v["shape"])
        params[k] = t.clone().requires_grad_(v["trainable"])
    running = {k: params[k].detach().clone() for k in params if k.endswith(".bn.mean") or k.endswith(".bn.var")}
    shape = fx["input"]["shape"]
    x = torch.tensor(fx["input"]["data"], dtype=torch.float64).reshape(shape).permute(0, 3, 1, 2)  # NCHW
    mean = torch.tensor(fx["normalization"]["mean"]).reshape(1, -1, 1, 1)
    std = torch.tensor(fx["normalization"]["std"]).reshape(1, -1, 1, 1)
    h = (x / 255 - mean) / std
    for b in fx["specs"]:
        spec, prefix = b["spec"], b["prefix"]
        inp = h
        for n in spec["nodes"]:
            p = f"{prefix}.{n['name']}"
            if n["kind"] == "conv":
                w = to_torch_filter(params[p + ".w"], n)
                bias = params.get(p + ".b")
                h = F.conv2d(h, w, bias, stride=n["stride"], padding=tuple(n["padding"]), groups=n["groups"])
                if n["bn"]:
                    rm, rv = running[p + ".bn.mean"], running[p + ".bn.var"]
                    h = F.batch_norm(h, rm, rv, params[p + ".bn.gamma"], params[p + ".bn.beta"], training=training, momentum=0.1, eps=1e-5)
                h = act(h, n["act"])
            elif n["kind"] == "se":
                s = h.mean(dim=(2, 3))
                s = act(s @ params[p + ".w1"] + params[p + ".b1"], n["act"])
                s = act(s @ params[p + ".w2"] + params[p + ".b2"], n["gate"])
                h = h * s[:, :, None, None]
            elif n["kind"] == "shuffle":
                N, C, H, W = h.shape
                g = n["groups"]
                h = h.reshape(N, g, C // g, H, W).permute(0, 2, 1, 3, 4).reshape(N, C, H, W)
            elif n["kind"] == "gpool":
                h = h.mean(dim=(2, 3), keepdim=True)
        if spec["residual"]:
            h = h + inp
    f = h.mean(dim=(2, 3))
    logits = f @ params["head.w"] + params["head.b"]
    return logits, params, running


def main():
    src, dst = sys.argv[1], sys.argv[2]
    fixtures = json.load(open(src))
    out = {}
    for name, fx in fixtures.items():
        logits_eval, _, _ = run(fx, training=False)
        logits_train, params, running = run(fx, training=True)
        labels = torch.tensor(fx["labels"])
        loss = F.cross_entropy(logits_train, labels, label_smoothing=fx["labelSmoothing"])
        trainable = {k: v for k, v in params.items() if v.requires_grad}
        grads = torch.autograd.grad(loss, list(trainable.values()))
        out[name] = {
            "logitsEval": logits_eval.detach().flatten().tolist(),
            "logitsTrain": logits_train.detach().flatten().tolist(),
            "loss": loss.item(),
            "grads": {k: g.flatten().tolist() for k, g in zip(trainable.keys(), grads)},
            "running": {k: v.flatten().tolist() for k, v in running.items()},
        }
    json.dump(out, open(dst, "w"))


if __name__ == "__main__":
    main()
