#!/usr/bin/python3
"""Semi-supervised GAN reference: Salimans et al. 2016's MNIST recipe (its code,
mnist_feature_matching.py), in plain PyTorch, on Fashion-MNIST with a few labels.

It answers one question about `ganzoo train improved-dcgan --labels 100`: does the paper's own
recipe, run outside ganzoo, lift the discriminator's test accuracy above a classifier of the same
architecture trained on the same labelled images alone? It prints one JSON line per evaluation
(D's and the baseline's accuracy on the 10,000 test images) and a summary line at the end.

The recipe, as in the paper's code:
  - D: the flattened image, Gaussian noise (σ 0.3 on [0, 1] pixels), dense 1000-500-250-250-250
    ReLU with weight normalisation and Gaussian noise (σ 0.5) after each, then K = 10 logits (the
    (K+1)-th class's logit fixed at 0); D(x) = Z(x) / (Z(x) + 1), Z = Σ exp(l_k).
  - D's loss: the cross-entropy of the K classes on a labelled batch, plus
    0.5·(−E log D(x) − E log(1 − D(G(z)))) on an unlabelled batch and a generated one.
  - G: z ~ U[0, 1]^100, dense 500-500 softplus with batch norm, dense 784 with weight
    normalisation and a sigmoid; trained by feature matching on D's last hidden layer (before its
    noise).
  - Adam, lr 3e-3, β1 0.5; batches of 100 labelled (the labelled set tiled), 100 unlabelled.
Where this script is not the code: v ~ N(0, 0.05) (its MNIST DenseLayer draws θ ~ N(0, 0.1));
the init on a batch of 100 (its 500); G's output layer data-initialised (its is not); PyTorch's
Adam, ε outside the square root (its ε = 1e-8 inside); and D tested live, where the code tests
an average of D's weights (β = 0.9999, from zero): --d-average adds that figure.
  - The labelled images: `per-class` of each class, chosen by ganzoo's rule (a CPU generator
    seeded with --labels-seed, a permutation of each class's rows; the same rows where this
    torch's randperm matches the LibTorch that ganzoo links, not checked here).
The baseline: the same D on the labelled images alone (noise included, as ganzoo's baseline),
Adam with the same rate, --baseline-steps minibatches of 100, as `ganzoo train` trains it.

Options that take one piece of the recipe toward ganzoo's member, to find which one matters:
--generator dcgan (ganzoo's DCGAN-style G, z ~ N(0, I)), --unsupervised-weight 1 (ganzoo's loss
weighs the unsupervised terms 1, the code 0.5), --v-std 0.02 and --train-hidden-scale (ganzoo's
weight-norm layers), --clean-init (the data-dependent init without D's noise, as ganzoo's),
--ganzoo-batches (G's step reuses D's z and unlabelled batch, labelled rows drawn with replacement).

Run it with Debian's /usr/bin/python3 (torch 1.13), e.g.
  /usr/bin/python3 tests/bench/ssl_reference.py --epochs 15 --threads 1
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from dcgan_reference import read_idx_images  # this folder is on sys.path when the script runs


def read_idx_labels(path):
    """u8 labels [n] from an IDX file, gzipped or not (the images: dcgan_reference.read_idx_images)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic, n = struct.unpack(">II", data[:8])
    if magic != 0x00000801:
        sys.exit(f"{path}: magic {magic:#010x}, expected 0x00000801 (labels)")
    if len(data) != 8 + n:
        sys.exit(f"{path}: header says {n} labels but the file holds {len(data) - 8} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=8)


def load(folder, split):
    prefix = "train" if split == "train" else "t10k"
    paths = [os.path.join(folder, f"{prefix}-{kind}-idx{d}-ubyte.gz") for kind, d in (("images", 3), ("labels", 1))]
    for p in paths:
        if not os.path.exists(p):
            sys.exit(f"fashion-mnist: cannot open {p}; install dataset-fashion-mnist or pass --data DIR")
    x = torch.from_numpy(read_idx_images(paths[0]).reshape(-1, 784).astype(np.float32) / 255.0)
    y = torch.from_numpy(read_idx_labels(paths[1]).astype(np.int64))
    return x, y


def choose_labelled(labels, per_class, seed):
    """ganzoo's choice (native/models/improved_dcgan.cpp, choose_labelled)."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for c in range(10):
        r = labels.eq(c).nonzero().view(-1)
        rows.append(r.index_select(0, torch.randperm(r.size(0), generator=g)[:per_class]))
    return torch.cat(rows)


class WNDense(nn.Module):
    """Weight-normalised dense layer, data-dependent init (Salimans & Kingma 2016) on first use."""

    def __init__(self, n_in, n_out, train_scale, v_std=0.05):
        super().__init__()
        self.v = nn.Parameter(torch.randn(n_out, n_in) * v_std)
        self.g = nn.Parameter(torch.ones(n_out), requires_grad=train_scale)
        self.b = nn.Parameter(torch.zeros(n_out))
        self.initialised = False

    def forward(self, x):
        w = self.v / self.v.norm(dim=1, keepdim=True)
        if not self.initialised:
            with torch.no_grad():
                t = F.linear(x, w)
                m, s = t.mean(0), t.std(0).clamp_min(1e-6)
                self.g.copy_(1 / s)
                self.b.copy_(-m / s)
            self.initialised = True
        return F.linear(x, w * self.g.unsqueeze(1), self.b)


class Discriminator(nn.Module):
    def __init__(self, input_noise, noise, v_std=0.05, train_hidden_scale=False):
        super().__init__()
        sizes = [784, 1000, 500, 250, 250, 250]
        self.hidden = nn.ModuleList(WNDense(a, b, train_hidden_scale, v_std) for a, b in zip(sizes, sizes[1:]))
        self.out = WNDense(250, 10, True, v_std)
        self.input_noise, self.noise = input_noise, noise

    def forward(self, x):
        """(logits, the last hidden layer's features before its noise)."""
        if self.training:
            x = x + self.input_noise * torch.randn_like(x)
        features = None
        for layer in self.hidden:
            features = F.relu(layer(x))
            x = features + self.noise * torch.randn_like(features) if self.training else features
        return self.out(x), features


class Generator(nn.Module):
    """The paper's MNIST G."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(100, 500, bias=False)
        self.bn1 = nn.BatchNorm1d(500)
        self.fc2 = nn.Linear(500, 500, bias=False)
        self.bn2 = nn.BatchNorm1d(500)
        self.out = WNDense(500, 784, train_scale=True)

    def forward(self, n):
        z = torch.rand(n, 100)
        h = F.softplus(self.bn1(self.fc1(z)))
        h = F.softplus(self.bn2(self.fc2(h)))
        return torch.sigmoid(self.out(h))


class DcganGenerator(nn.Module):
    """ganzoo's DCGAN-style G (dense to 2w×7×7, batch norm, ReLU, transposed convolutions to
    14 and 28 px, tanh), z ~ N(0, I), its [−1, 1] output mapped to [0, 1]."""

    def __init__(self, width=32):
        super().__init__()
        w2 = 2 * width
        self.net = nn.Sequential(
            nn.Linear(100, w2 * 7 * 7, bias=False), nn.Unflatten(1, (w2, 7, 7)), nn.BatchNorm2d(w2), nn.ReLU(),
            nn.ConvTranspose2d(w2, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh(), nn.Flatten())
        for m in self.net:
            if isinstance(m, (nn.Linear, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, 0, 0.02)

    def forward(self, n):
        return (self.net(torch.randn(n, 100)) + 1) / 2


def accuracy(net, x, y):
    net.eval()
    with torch.no_grad():
        correct = sum(int(net(x[i:i + 1000])[0].argmax(1).eq(y[i:i + 1000]).sum()) for i in range(0, len(x), 1000))
    net.train()
    return correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--per-class", type=int, default=10)
    p.add_argument("--labels-seed", type=int, default=100)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--eval-every", type=int, default=600, help="steps between test evaluations")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--input-noise", type=float, default=0.3)
    p.add_argument("--noise", type=float, default=0.5)
    p.add_argument("--unsupervised-weight", type=float, default=0.5,
                   help="weight of each of the two unsupervised terms (the paper's code: 0.5)")
    p.add_argument("--v-std", type=float, default=0.05, help="σ of the weight-normalised layers' initial v (0.05 as the paper's "
                   "later WeightNormLayer; its MNIST code's DenseLayer draws θ ~ N(0, 0.1))")
    p.add_argument("--train-hidden-scale", action="store_true", help="train g in D's hidden layers too (the paper's code: the output layer's only)")
    p.add_argument("--clean-init", action="store_true",
                   help="the data-dependent init without D's noise (the paper's code initialises with it)")
    p.add_argument("--ganzoo-batches", action="store_true",
                   help="as ganzoo's step: G's step reuses D's z and unlabelled batch; labelled rows drawn with replacement")
    p.add_argument("--generator", choices=("mlp", "dcgan"), default="mlp")
    p.add_argument("--d-average", type=float, default=0.0,
                   help="also test an average of D's weights, a ← a + (1 − β)(θ − a) after every D step, bias-corrected "
                        "(the paper's code tests only such an average, β = 0.9999, from zero, uncorrected); 0: off")
    p.add_argument("--baseline-steps", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    if not 0 <= a.d_average < 1:
        sys.exit("ssl_reference: --d-average must be in [0, 1)")
    if a.per_class < 1 or a.epochs < 1 or a.eval_every < 1:
        sys.exit("ssl_reference: --per-class, --epochs and --eval-every must be >= 1")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load(a.data, "train")
    tx, ty = load(a.data, "test")
    rows = choose_labelled(y, a.per_class, a.labels_seed)
    lx, ly = x[rows], y[rows]
    batch = 100

    # The baseline: D's architecture on the labelled images alone.
    c = Discriminator(a.input_noise, a.noise, a.v_std, a.train_hidden_scale)
    c.train(not a.clean_init)
    c(lx[:batch])  # data-dependent init on the labelled images
    c.train()
    opt_c = torch.optim.Adam(c.parameters(), lr=a.lr, betas=(0.5, 0.999))
    for _ in range(a.baseline_steps):
        i = torch.randint(len(lx), (batch,))
        loss = F.cross_entropy(c(lx[i])[0], ly[i])
        opt_c.zero_grad()
        loss.backward()
        opt_c.step()
    baseline = accuracy(c, tx, ty)

    d = Discriminator(a.input_noise, a.noise, a.v_std, a.train_hidden_scale)
    g = DcganGenerator() if a.generator == "dcgan" else Generator()
    d.train(not a.clean_init)
    d(x[torch.randperm(len(x))[:batch]])  # data-dependent init on an unlabelled batch
    d.train()
    g(batch)
    opt_d = torch.optim.Adam(d.parameters(), lr=a.lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(g.parameters(), lr=a.lr, betas=(0.5, 0.999))
    average = [torch.zeros_like(t) for t in d.parameters()] if a.d_average else None
    steps_per_epoch = len(x) // batch
    tiled = torch.arange(len(lx)).repeat((len(x) + len(lx) - 1) // len(lx))
    step, start, history, averaged_history = 0, time.time(), [], []
    for epoch in range(a.epochs):
        order1, order2 = torch.randperm(len(x)), torch.randperm(len(x))
        lab = tiled[torch.randperm(len(tiled))]
        for s in range(steps_per_epoch):
            xu = x[order1[s * batch:(s + 1) * batch]]
            li = torch.randint(len(lx), (batch,)) if a.ganzoo_batches else lab[s * batch:(s + 1) * batch]
            logits_l, _ = d(lx[li])
            logits_u, _ = d(xu)
            fake = g(batch)
            logits_f, _ = d(fake.detach())
            lse_u, lse_f = torch.logsumexp(logits_u, 1), torch.logsumexp(logits_f, 1)
            loss_sup = F.cross_entropy(logits_l, ly[li])
            loss_unsup = a.unsupervised_weight * (-lse_u.mean() + F.softplus(lse_u).mean() + F.softplus(lse_f).mean())
            opt_d.zero_grad()
            (loss_sup + loss_unsup).backward()
            opt_d.step()
            if average is not None:
                with torch.no_grad():
                    for avg, t in zip(average, d.parameters()):
                        avg.add_(t - avg, alpha=1 - a.d_average)

            xu2 = xu if a.ganzoo_batches else x[order2[s * batch:(s + 1) * batch]]
            _, f_fake = d(fake if a.ganzoo_batches else g(batch))
            with torch.no_grad():
                _, f_real = d(xu2)
            loss_g = (f_fake.mean(0) - f_real.mean(0)).pow(2).mean()
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            step += 1
            if step % a.eval_every == 0:
                acc = accuracy(d, tx, ty)
                history.append(acc)
                averaged = {}
                if average is not None:
                    live = [t.detach().clone() for t in d.parameters()]
                    with torch.no_grad():
                        for avg, t in zip(average, d.parameters()):
                            t.copy_(avg / (1 - a.d_average ** step))
                    averaged = {"d_average_accuracy": accuracy(d, tx, ty)}
                    averaged_history.append(averaged["d_average_accuracy"])
                    with torch.no_grad():
                        for keep, t in zip(live, d.parameters()):
                            t.copy_(keep)
                print(json.dumps({"step": step, "epoch": epoch + 1, "d_accuracy": acc, **averaged, "baseline_accuracy": baseline,
                                  "loss_supervised": round(float(loss_sup), 4), "loss_unsupervised": round(float(loss_unsup), 4),
                                  "loss_g": round(float(loss_g), 4), "seconds": round(time.time() - start, 1)}), flush=True)
    final = history[-1] if history else accuracy(d, tx, ty)
    print(json.dumps({"summary": True, "generator": a.generator, "unsupervised_weight": a.unsupervised_weight, "v_std": a.v_std,
                      "train_hidden_scale": a.train_hidden_scale, "clean_init": a.clean_init, "ganzoo_batches": a.ganzoo_batches, "labels": len(lx), "epochs": a.epochs, "steps": step, "d_accuracy": final,
                      "d_mean": sum(history) / len(history) if history else final, "baseline_accuracy": baseline,
                      "gain_points": round(100 * (final - baseline), 2),
                      **({"d_average": a.d_average, "d_average_accuracy": averaged_history[-1]} if averaged_history else {}), "seconds": round(time.time() - start, 1),
                      "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
