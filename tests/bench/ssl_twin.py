#!/usr/bin/python3
"""The semi-supervised twin: ganzoo's Improved DCGAN step against the same step in plain PyTorch.

`ssl_twin` (tests/bench/ssl_twin.cpp, built with the native tree) runs the member's
semi-supervised steps and records its weights before the first step and after each, with each
step's inputs (the image rows, z, the labelled rows). This script starts a PyTorch twin from the
recorded initial weights, runs the same steps on the same inputs the way the reference
(ssl_reference.py with --ganzoo-batches) writes them, and prints, step by step, how far the twin's
weights and losses are from ganzoo's. Agreement to float rounding (measured: exactly; the CTest
native.ssl_twin allows 1e-5) says ganzoo's step is the reference's; the first tensor that parts
names the difference. Each step is compared on its own: the twin then takes ganzoo's weights.

The twin's recipe is the member's: D the MLP 1000-500-250-250-250 with weight normalisation on
every layer (the options say which g train and whether the data-dependent init on the first batch
runs through the noise), G the DCGAN-style G with batch norm, images in [-1, 1], D's loss the
K-class cross-entropy plus w·(BCE(logsumexp l(x), 1) + BCE(logsumexp l(G(z)), 0)), G's the
squared distance of the mean features of the last hidden layer (summed), Adam for both. With D's
noise on, the twin draws z, the noise and the labelled rows itself from ganzoo's per-step seeds,
in ganzoo's order (ssl_twin's recorded labelled rows hold only with the noise off), and checks its
z against the recorded one. ssl_twin must then run with baseline_steps=0: the baseline's training
draws noise too.

  build/native/bin/ssl_twin /tmp/twin.pt --steps 20 --set width=32 --set 'd_network="mlp"' \\
      --set d_weight_norm=true --set real_label=1 --set history_weight=0 --set lr=0.003 \\
      --set 'generator_norm="batch"'
  /usr/bin/python3 tests/bench/ssl_twin.py /tmp/twin.pt --lr 0.003
"""
import argparse
import os
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dcgan_reference import read_idx_images  # noqa: E402
from ssl_reference import choose_labelled, read_idx_labels  # noqa: E402


class WN(nn.Module):
    """w = g·v/‖v‖ per output row, as ganzoo's WeightNormLayer (kernel 0)."""

    def __init__(self, v, g, b):
        super().__init__()
        self.v, self.g, self.b = nn.Parameter(v.clone()), nn.Parameter(g.clone()), nn.Parameter(b.clone())

    def weight(self):
        return self.v * (self.g / self.v.norm(dim=1)).unsqueeze(1)

    def forward(self, x):
        return F.linear(x, self.weight(), self.b)

    @torch.no_grad()
    def data_init(self, x):
        self.g.fill_(1)
        self.b.zero_()
        t = self(x)
        m, s = t.mean(0), t.std(0).clamp_min(1e-6)
        self.g.copy_(1 / s)
        self.b.copy_(-m / s)


class D(nn.Module):
    def __init__(self, rec, indices):
        super().__init__()
        self.layers = nn.ModuleList(WN(rec[f"init/D.{i}.v"], rec[f"init/D.{i}.g"], rec[f"init/D.{i}.bias"]) for i in indices)
        self.indices = indices

    input_noise = noise = 0.0
    init_noise = False

    def forward(self, x, init=False, features_only=False):
        """(logits, the last hidden layer's ReLU output); with features_only, D stops at that
        layer, as ganzoo's features() does (so the noise after it is not drawn). The noise is
        drawn from the global generator in ganzoo's order: the input's, then each hidden layer's."""
        h, features = x.flatten(1), None
        noisy = self.training and (not init or self.init_noise)
        if self.input_noise > 0 and noisy:
            h = h + self.input_noise * torch.randn_like(h)
        for i, layer in enumerate(self.layers):
            if init:
                layer.data_init(h)
            h = layer(h)
            if i + 1 < len(self.layers):
                h = features = F.relu(h)
                if features_only and i + 2 == len(self.layers):
                    return None, features
                if self.noise > 0 and noisy:
                    h = h + self.noise * torch.randn_like(h)
        return h, features


class G(nn.Module):
    def __init__(self, rec, z_dim, width):
        super().__init__()
        w2 = 2 * width
        self.net = nn.Sequential(nn.Linear(z_dim, w2 * 49, bias=False), nn.Unflatten(1, (w2, 7, 7)), nn.BatchNorm2d(w2), nn.ReLU(),
                                 nn.ConvTranspose2d(w2, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                                 nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())
        state = {k[len("init/G."):]: v for k, v in rec.items() if k.startswith("init/G.")}
        self.net.load_state_dict(state)

    def forward(self, z):
        return self.net(z)


def names(d, g, d_indices):
    """(ganzoo's name, the twin's tensor) for every parameter and batch-norm buffer."""
    out = []
    for i, layer in zip(d_indices, d.layers):
        out += [(f"D.{i}.v", layer.v), (f"D.{i}.g", layer.g), (f"D.{i}.bias", layer.b)]
    for k, v in g.net.state_dict(keep_vars=True).items():
        out.append((f"G.{k}", v))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("record", help="ssl_twin's output")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--labels-seed", type=int, default=100)
    p.add_argument("--per-class", type=int, default=10)
    p.add_argument("--input-noise", type=float, default=0.0, help="the recipe's d_input_noise")
    p.add_argument("--noise", type=float, default=0.0, help="the recipe's d_noise")
    p.add_argument("--seed", type=int, default=1, help="ssl_twin's --seed")
    p.add_argument("--init", choices=("data", "data_noise"), default="data", help="the recipe's d_weight_norm_init")
    p.add_argument("--train-g", choices=("all", "output"), default="all", help="the recipe's d_weight_norm_train_g")
    p.add_argument("--unsupervised-weight", type=float, default=1.0, help="the recipe's unsupervised_weight")
    p.add_argument("--max-relative", type=float, default=None,
                   help="exit 1 when any step's worst relative difference exceeds this (the CTest: 1e-5)")
    a = p.parse_args()
    torch.set_num_threads(1)
    try:
        rec = torch.load(a.record)
    except Exception as e:  # torch.load raises OSError, RuntimeError or a pickle error on what is not its file
        sys.exit(f"ssl_twin: cannot read {a.record}: {e}".splitlines()[0])
    steps = sorted(int(k.split("/")[0][4:]) for k in rec if k.endswith("/z")) if isinstance(rec, dict) else []
    if not steps:
        sys.exit(f"ssl_twin: {a.record} holds no recorded steps (write it with build/native/bin/ssl_twin)")
    d_indices = sorted({int(k.split(".")[1]) for k in rec if k.startswith("init/D.") and k.endswith(".v")})

    x = torch.from_numpy(read_idx_images(os.path.join(a.data, "train-images-idx3-ubyte.gz")).astype(np.float32))
    x = x.view(-1, 1, 28, 28) / 127.5 - 1
    y = torch.from_numpy(read_idx_labels(os.path.join(a.data, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    labelled = choose_labelled(y, a.per_class, a.labels_seed)
    lx, ly = x[labelled], y[labelled]

    d, g = D(rec, d_indices), G(rec, rec["step1/z"].size(1), a.width)
    d.input_noise, d.noise, d.init_noise = a.input_noise, a.noise, a.init == "data_noise"
    noisy = a.input_noise > 0 or a.noise > 0
    if a.train_g == "output":
        for layer in d.layers[:-1]:
            layer.g.requires_grad_(False)
    d.train()
    g.train()
    opt_d = torch.optim.Adam(d.parameters(), lr=a.lr, betas=(a.beta1, 0.999))
    opt_g = torch.optim.Adam(g.parameters(), lr=a.lr, betas=(a.beta1, 0.999))
    worst_rel = 0.0
    for t in steps:
        s = f"step{t}/"
        real, z = x[rec[s + "rows"]], rec[s + "z"]
        # ganzoo seeds the global generator with seed·1000 + t before step t; with noise on,
        # the twin draws z, the noise and the labelled rows from it in ganzoo's order.
        torch.manual_seed(a.seed * 1000 + t)
        if t == steps[0]:
            with torch.no_grad():
                d(real, init=True)  # ganzoo's init: on the first batch (through the noise with data_noise)
                if d.init_noise and noisy:
                    # then the baseline's, on the labelled images: the same draws, thrown away
                    # (ssl_twin runs with baseline_steps 0, so nothing else draws before z)
                    twin_c = D(rec, d_indices)
                    twin_c.input_noise, twin_c.noise, twin_c.init_noise = d.input_noise, d.noise, True
                    twin_c(lx, init=True)
        z_drawn = torch.randn(z.shape)
        # ssl_twin replays z as the step's first draw: not so at the first step when the init
        # draws noise first, where the twin's own draw is the one to use
        if not torch.equal(z_drawn, z) and not (t == steps[0] and d.init_noise and noisy):
            sys.exit(f"ssl_twin: step {t}: this torch's generator does not give ganzoo's z")
        fake = g(z_drawn)
        lr_, lf_ = torch.logsumexp(d(real)[0], 1), torch.logsumexp(d(fake.detach())[0], 1)
        li = torch.randint(len(lx), rec[s + "labelled_rows"].shape) if noisy else rec[s + "labelled_rows"]
        class_logits = d(lx[li])[0]
        loss_sup = F.cross_entropy(class_logits, ly[li])
        loss_unsup = F.binary_cross_entropy_with_logits(lr_, torch.ones_like(lr_)) + \
            F.binary_cross_entropy_with_logits(lf_, torch.zeros_like(lf_))
        loss_d = loss_sup + a.unsupervised_weight * loss_unsup
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        with torch.no_grad():
            f_real = d(real, features_only=True)[1]
        loss_g = (f_real.mean(0) - d(fake, features_only=True)[1].mean(0)).pow(2).sum()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

        ours = {"loss_supervised": float(loss_sup), "loss_unsupervised": float(loss_unsup), "loss_d": float(loss_d), "loss_g": float(loss_g)}
        line = " ".join(f"{k} {v:.6g}/{float(rec[s + 'stat.' + k]):.6g}" for k, v in ours.items())
        print(f"step {t}: (twin/ganzoo) {line}")
        rows = []
        for name, tensor in names(d, g, d_indices):
            theirs = rec[s + name]
            if tensor.dtype.is_floating_point:
                diff = float((tensor.detach() - theirs).abs().max())
                rel = diff / max(float(theirs.abs().max()), 1e-12)
                rows.append((rel, name, diff))
        rows.sort(reverse=True)
        for rel, name, diff in rows[:3]:
            print(f"    {name:24s} max |twin − ganzoo| {diff:.3e}  relative {rel:.3e}")
        worst_rel = max(worst_rel, rows[0][0])
        for k, v in ours.items():
            theirs = float(rec[s + 'stat.' + k])
            worst_rel = max(worst_rel, abs(v - theirs) / max(abs(theirs), 1e-12))
        # The twin goes on from ganzoo's state, so each step is compared on its own.
        with torch.no_grad():
            for name, tensor in names(d, g, d_indices):
                tensor.copy_(rec[s + name])
    print(f"worst relative difference over {len(steps)} steps: {worst_rel:.3e}")
    if a.max_relative is not None and not worst_rel <= a.max_relative:
        sys.exit(f"ssl_twin: ganzoo's step and the twin's part: {worst_rel:.3e} > {a.max_relative:g}")


if __name__ == "__main__":
    main()
