#!/usr/bin/python3
"""Reference fixtures for @fbnet/native-kernels, computed with PyTorch in float64.

Run:  /usr/bin/python3 tools/make-kernel-fixtures.py
Writes packages/backends/native/test/fixtures/kernels.{json,f32}: a JSON index of cases and one
little-endian float32 blob. Every case stores its inputs (float32 values, NHWC / TF.js filter
layouts) and the outputs torch computes from those exact float32 values in float64, so the
tests' tolerance measures only the kernels' float32 accumulation error.

Layouts: activations NHWC (torch: NCHW), conv2d filter [kh, kw, cin/groups, cout]
(torch: [cout, cin/groups, kh, kw]), depthwise filter [kh, kw, c, 1] (torch: groups=c).
Padding is explicit and symmetric (torch's padding=(padH, padW)).
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(20240611)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "packages", "backends", "native", "test", "fixtures")

blob = []  # float32 tensors
blob_len = 0
cases = []


def put(t):
    """Append a tensor (any dtype) as float32; return its index entry."""
    global blob_len
    a = t.detach().to(torch.float32).contiguous().reshape(-1)
    entry = {"offset": blob_len, "length": a.numel(), "shape": list(t.shape)}
    blob.append(a)
    blob_len += a.numel()
    return entry


def rnd(*shape, scale=1.0, shift=0.0):
    """float32-representable random values, returned as float64."""
    return (torch.randn(*shape) * scale + shift).to(torch.float32).to(torch.float64)


def nhwc(t):
    return t.permute(0, 2, 3, 1)


def nchw(t):
    return t.permute(0, 3, 1, 2)


def conv_case(name, n, h, w, cin, cout, k, stride, pad, groups=1):
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    x = rnd(n, h, w, cin)
    filt = rnd(kh, kw, cin // groups, cout, scale=(1.0 / (kh * kw * cin / groups)) ** 0.5)
    xt = nchw(x).clone().requires_grad_(True)
    wt = filt.permute(3, 2, 0, 1).clone().requires_grad_(True)
    y = F.conv2d(xt, wt, stride=(sh, sw), padding=(ph, pw), groups=groups)
    dy = rnd(*y.shape)
    y.backward(dy)
    bias = rnd(cout)
    y_fused = F.hardswish(y.detach() + bias.view(1, -1, 1, 1))  # fused epilogue: act(conv + bias)
    cases.append({
        "name": name, "op": "conv2d",
        "params": {"n": n, "h": h, "w": w, "cin": cin, "cout": cout, "kh": kh, "kw": kw,
                   "stride": [sh, sw], "padH": ph, "padW": pw, "groups": groups},
        "tensors": {
            "x": put(x), "filter": put(filt), "y": put(nhwc(y)), "dy": put(nhwc(dy)),
            "dx": put(nhwc(xt.grad)), "dfilter": put(wt.grad.permute(2, 3, 1, 0)),
            "bias": put(bias), "yBiasHswish": put(nhwc(y_fused)),
        },
    })


def tf_same(size, k, s):
    """TF 'same' padding (before, after): total = max((ceil(size/s) - 1)*s + k - size, 0), extra after."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def asym_case(name, op, n, h, w, cin, cout, k, stride, groups=1):
    """Per-side ('same'-style) padding: torch pads explicitly with F.pad, then convolves unpadded."""
    top, bottom = tf_same(h, k, stride)
    left, right = tf_same(w, k, stride)
    c = cin
    if op == "depthwise":
        groups, cout = cin, cin
    x = rnd(n, h, w, cin)
    filt = rnd(k, k, cin // groups, cout, scale=(1.0 / (k * k * cin / groups)) ** 0.5)
    xt = nchw(x).clone().requires_grad_(True)
    wt = filt.permute(3, 2, 0, 1).clone().requires_grad_(True)
    y = F.conv2d(F.pad(xt, (left, right, top, bottom)), wt, stride=stride, groups=groups)
    dy = rnd(*y.shape)
    y.backward(dy)
    pad = {"top": top, "bottom": bottom, "left": left, "right": right}
    params = ({"n": n, "h": h, "w": w, "c": c, "kh": k, "kw": k, "stride": [stride, stride], "pad": pad}
              if op == "depthwise" else
              {"n": n, "h": h, "w": w, "cin": cin, "cout": cout, "kh": k, "kw": k, "stride": [stride, stride],
               "pad": pad, "groups": groups})
    dfilt = wt.grad.permute(2, 3, 1, 0)  # [kh, kw, cin/groups, cout]; depthwise: [kh, kw, 1, c] == [kh, kw, c, 1] flat
    cases.append({
        "name": name, "op": op, "params": params,
        "tensors": {"x": put(x), "filter": put(filt), "y": put(nhwc(y)), "dy": put(nhwc(dy)),
                    "dx": put(nhwc(xt.grad)), "dfilter": put(dfilt)},
    })


def dw_case(name, n, h, w, c, k, stride, pad):
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    x = rnd(n, h, w, c)
    filt = rnd(kh, kw, c, 1, scale=1.0 / k)
    xt = nchw(x).clone().requires_grad_(True)
    wt = filt.permute(2, 3, 0, 1).clone().requires_grad_(True)  # [c, 1, kh, kw]
    y = F.conv2d(xt, wt, stride=(sh, sw), padding=(ph, pw), groups=c)
    dy = rnd(*y.shape)
    y.backward(dy)
    bias = rnd(c)
    y_fused = F.relu6(y.detach() + bias.view(1, -1, 1, 1))
    cases.append({
        "name": name, "op": "depthwise",
        "params": {"n": n, "h": h, "w": w, "c": c, "kh": kh, "kw": kw, "stride": [sh, sw], "padH": ph, "padW": pw},
        "tensors": {
            "x": put(x), "filter": put(filt), "y": put(nhwc(y)), "dy": put(nhwc(dy)),
            "dx": put(nhwc(xt.grad)), "dfilter": put(wt.grad.permute(2, 3, 0, 1)),
            "bias": put(bias), "yBiasRelu6": put(nhwc(y_fused)),
        },
    })


ACTS = {
    "none": lambda z: z,
    "relu": F.relu,
    "relu6": F.relu6,
    "hswish": F.hardswish,
}


def bn_case(name, n, h, w, c, act, eps=1e-5, shift=0.0, scale=1.0):
    x = rnd(n, h, w, c, scale=scale, shift=shift)
    gamma = rnd(c, scale=0.5, shift=1.0)
    beta = rnd(c, scale=0.5)
    xt = nchw(x).clone().requires_grad_(True)
    gt = gamma.clone().requires_grad_(True)
    bt = beta.clone().requires_grad_(True)
    rm = torch.zeros(c, dtype=torch.float64)
    rv = torch.ones(c, dtype=torch.float64)
    z = F.batch_norm(xt, rm, rv, gt, bt, training=True, momentum=0.1, eps=eps)
    y = ACTS[act](z)
    dy = rnd(*y.shape)
    y.backward(dy)
    mean = x.mean(dim=(0, 1, 2))
    var = x.var(dim=(0, 1, 2), unbiased=False)
    invstd = 1.0 / torch.sqrt(var + eps)
    # inference mode with (made-up) running statistics
    run_mean = rnd(c, scale=0.3, shift=shift)
    run_var = rnd(c, scale=0.2, shift=1.0).abs() * scale * scale + 0.1
    y_inf = ACTS[act](F.batch_norm(nchw(x), run_mean, run_var, gamma, beta, training=False, eps=eps))
    cases.append({
        "name": name, "op": "batchnorm",
        "params": {"n": n, "h": h, "w": w, "c": c, "eps": eps, "act": act},
        "tensors": {
            "x": put(x), "gamma": put(gamma), "beta": put(beta), "y": put(nhwc(y)),
            "mean": put(mean), "invStd": put(invstd), "dy": put(nhwc(dy)),
            "dx": put(nhwc(xt.grad)), "dgamma": put(gt.grad), "dbeta": put(bt.grad),
            "runningMean": put(run_mean), "runningVar": put(run_var), "yInference": put(nhwc(y_inf)),
            # running stats after one training step from (0, 1), torch's momentum update
            "runningMeanAfter": put(rm), "runningVarAfter": put(rv),
        },
    })


def act_case(name, size, act):
    x = rnd(size, scale=4.0)
    xt = x.clone().requires_grad_(True)
    y = ACTS[act](xt)
    dy = rnd(size)
    y.backward(dy)
    cases.append({"name": name, "op": "activation", "params": {"act": act},
                  "tensors": {"x": put(x), "y": put(y), "dy": put(dy), "dx": put(xt.grad)}})


def xent_case(name, n, k, smoothing):
    logits = rnd(n, k, scale=3.0)
    labels = torch.randint(0, k, (n,))
    zt = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(zt, labels, label_smoothing=smoothing)
    loss.backward()
    cases.append({"name": name, "op": "softmax-xent", "params": {"n": n, "k": k, "labelSmoothing": smoothing},
                  "tensors": {"logits": put(logits), "labels": put(labels.to(torch.float64)),
                              "loss": put(loss.reshape(1)), "dlogits": put(zt.grad)}})


def gap_case(name, n, h, w, c):
    x = rnd(n, h, w, c)
    xt = x.clone().requires_grad_(True)
    y = xt.mean(dim=(1, 2))
    dy = rnd(n, c)
    y.backward(dy)
    cases.append({"name": name, "op": "gap", "params": {"n": n, "h": h, "w": w, "c": c},
                  "tensors": {"x": put(x), "y": put(y), "dy": put(dy), "dx": put(xt.grad)}})


def gemm_case(name, m, n, k, trans_a, trans_b):
    a = rnd(k, m) if trans_a else rnd(m, k)
    b = rnd(n, k) if trans_b else rnd(k, n)
    c = (a.t() if trans_a else a) @ (b.t() if trans_b else b)
    bias = rnd(n)
    cases.append({"name": name, "op": "gemm", "params": {"m": m, "n": n, "k": k, "transA": trans_a, "transB": trans_b},
                  "tensors": {"a": put(a), "b": put(b), "c": put(c), "bias": put(bias),
                              "cBiasRelu": put(F.relu(c + bias))}})


def shuffle_case(name, m, c, groups):
    x = rnd(m, c)
    # mobile-vision ChannelShuffle: [m, g, c/g] -> transpose -> [m, c/g, g]
    y = x.reshape(m, groups, c // groups).transpose(1, 2).reshape(m, c)
    cases.append({"name": name, "op": "channel-shuffle", "params": {"m": m, "c": c, "groups": groups},
                  "tensors": {"x": put(x), "y": put(y)}})


def main():
    # conv2d: 1x1 (plain and grouped pointwise, strided, long K), stems, k3/k5 with odd paddings
    conv_case("pw-k1-s1-g1", 2, 5, 5, 8, 12, 1, 1, 0)
    conv_case("pw-k1-s1-g2", 2, 5, 4, 8, 12, 1, 1, 0, groups=2)
    conv_case("pw-k1-s1-g2-b1-odd", 1, 3, 5, 6, 10, 1, 1, 0, groups=2)
    conv_case("pw-k1-s2", 1, 7, 7, 4, 8, 1, 2, 0)
    conv_case("pw-k1-longK", 2, 2, 2, 600, 9, 1, 1, 0)
    conv_case("pw-k1-ksplit", 4, 16, 16, 8, 12, 1, 1, 0)
    conv_case("stem-k3-s2-p1-cin1", 2, 9, 9, 1, 8, 3, 2, 1)
    conv_case("stem-k3-s2-p1-cin3", 2, 8, 8, 3, 16, 3, 2, 1)
    conv_case("k3-s1-p1-b1", 1, 6, 7, 3, 5, 3, 1, 1)
    conv_case("k3-s1-p0", 2, 6, 6, 4, 6, 3, 1, 0)
    conv_case("k3-s2-p0", 2, 7, 8, 5, 6, 3, 2, 0)
    conv_case("k5-s2-p1", 2, 9, 9, 3, 4, 5, 2, 1)
    conv_case("k5-s1-p2-g2", 1, 7, 7, 4, 6, 5, 1, 2, groups=2)
    conv_case("k3-s2-p1-g2", 2, 8, 8, 6, 4, 3, 2, 1, groups=2)
    conv_case("k3-s1-p1-wide", 2, 10, 10, 32, 24, 3, 1, 1)
    conv_case("k3x5-rect", 1, 7, 9, 2, 3, (3, 5), (1, 2), (1, 2))
    # depthwise
    dw_case("dw-k3-s1-p1", 2, 7, 7, 16, 3, 1, 1)
    dw_case("dw-k3-s2-p1-c20", 2, 8, 8, 20, 3, 2, 1)
    dw_case("dw-k5-s1-p2-b1", 1, 9, 9, 8, 5, 1, 2)
    dw_case("dw-k5-s2-p2-c6", 2, 9, 9, 6, 5, 2, 2)
    dw_case("dw-k5-s2-p1", 2, 10, 10, 16, 5, 2, 1)
    dw_case("dw-k3-s1-p0-b1", 1, 5, 5, 4, 3, 1, 0)
    dw_case("dw-k3-s2-p0-c36", 2, 7, 6, 36, 3, 2, 0)
    dw_case("dw-k5-s1-p1-c48", 2, 6, 6, 48, 5, 1, 1)
    # per-side padding (TF 'same' with stride 2 pads more at the bottom/right)
    asym_case("same-k3-s2", "conv2d", 2, 8, 8, 3, 5, 3, 2)
    asym_case("same-k3-s2-14", "conv2d", 1, 14, 14, 4, 4, 3, 2)
    asym_case("same-k5-s2-dw", "depthwise", 2, 10, 10, 12, 0, 5, 2)
    asym_case("same-k3-s2-dw", "depthwise", 1, 14, 14, 8, 0, 3, 2)
    asym_case("same-k4-s1-dw", "depthwise", 1, 6, 7, 8, 0, 4, 1)
    asym_case("same-k4-s1", "conv2d", 2, 5, 6, 3, 4, 4, 1)
    # batch-norm + activation
    for act in ACTS:
        bn_case(f"bn-{act}", 2, 4, 4, 12, act)
    bn_case("bn-relu-c7-b1", 1, 5, 3, 7, "relu", eps=1e-3)
    bn_case("bn-hswish-large", 4, 8, 8, 40, "hswish", scale=2.0)
    bn_case("bn-offset-mean", 2, 6, 6, 8, "none", shift=100.0, scale=0.5)
    for act in ("relu", "relu6", "hswish"):
        act_case(f"act-{act}", 103, act)
    xent_case("xent", 8, 10, 0.0)
    xent_case("xent-smooth", 8, 10, 0.1)
    xent_case("xent-b1", 1, 7, 0.2)
    gap_case("gap", 2, 3, 3, 5)
    gap_case("gap-c64", 3, 4, 4, 64)
    gemm_case("gemm-nn", 37, 29, 13, False, False)
    gemm_case("gemm-nt", 21, 18, 33, False, True)
    gemm_case("gemm-tn", 12, 20, 1500, True, False)
    gemm_case("gemm-tt", 9, 11, 7, True, True)
    shuffle_case("shuffle-g2", 6, 12, 2)
    shuffle_case("shuffle-g3", 4, 9, 3)

    os.makedirs(OUT_DIR, exist_ok=True)
    data = torch.cat(blob).numpy().astype("<f4").tobytes()
    with open(os.path.join(OUT_DIR, "kernels.f32"), "wb") as f:
        f.write(data)
    index = {"version": 1, "generator": "tools/make-kernel-fixtures.py", "torch": torch.__version__,
             "dtype": "float32-le", "cases": cases}
    with open(os.path.join(OUT_DIR, "kernels.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print(f"{len(cases)} cases, {len(data)} bytes of tensors -> {OUT_DIR}", file=sys.stderr)


if __name__ == "__main__":
    main()
