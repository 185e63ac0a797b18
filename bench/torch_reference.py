#!/usr/bin/python3
"""Plain PyTorch (Python) re-implementation of ardm's default training run, for benchmarking.

It mirrors, operation for operation, what `build/ardm train` does with its default
configuration:

  * the UNet of src/ardm/nets/unet/unet.cpp (same layers, same initialisation rules, same parameter
    names, so a C++ checkpoint loads into it with a strict name/shape match);
  * the OA-ARDM objective of src/ardm/objective/objective.cpp (rank-array orders, t ~ U{0..D-1}, absorbing
    value K // 2, the weighted bound plus the auxiliary cross-entropy);
  * the training step of src/ardm/train.cpp (Adam with linear lr warm-up, global-norm gradient
    clipping, EMA of the weights, the same per-step seeds and epoch shuffles) on Fashion-MNIST.

Train and time (the last line of stdout is machine-readable):

    /usr/bin/python3 bench/torch_reference.py --steps 60 --batch 32 --threads 2

Check equivalence against a C++ checkpoint (EMA weights, same seeds as `ardm eval`):

    /usr/bin/python3 bench/torch_reference.py --check-checkpoint runs/x/checkpoint.pt --check-limit 100
    build/ardm eval --model runs/x/checkpoint.pt --limit 100 --passes 1   # should print the same bpd

Use Debian's /usr/bin/python3 (python3-torch 1.13); a pyenv `python3` on PATH may lack torch.
"""

import argparse
import gzip
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------
# Configuration: the defaults of src/ardm/config.h.

MODEL_DEFAULTS = dict(channels=1, height=28, width=28, num_classes=256, ch=32, ch_mult=(1, 2, 2),
                      num_res_blocks=1, attn_resolutions=(7,), num_groups=32, dropout=0.0)
CE_TERM = 0.001        # ObjectiveConfig::ce_term
LR = 1e-3              # TrainConfig defaults from here on
BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
LR_WARMUP = 100        # linear warm-up steps
CLIP = 100.0           # global gradient-norm clip
EMA_DECAY = 0.999

# ----------------------------------------------------------------------------------------------
# Seeds: the C++ code derives one generator per use from (seed, stream, index) with splitmix64
# (train.cpp: mix_seed). Reproducing it lets the Python run draw the very same orders and steps.

MASK64 = (1 << 64) - 1
STREAM_EPOCH_SHUFFLE, STREAM_STEP, STREAM_EVAL = 1, 2, 3


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def mix_seed(seed, a, b):
    return splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b)


def make_generator(seed):
    # The same CPU generator (mt19937) that at::make_generator<CPUGeneratorImpl>(seed) gives.
    g = torch.Generator()
    g.manual_seed(seed)
    return g


# ----------------------------------------------------------------------------------------------
# The network (src/ardm/nets/unet/unet.cpp).


def swish(x):
    return x * torch.sigmoid(x)


def group_norm(groups, ch):
    # Largest divisor of `ch` not above the requested group count (small nets have < 32 channels).
    g = min(groups, ch)
    while ch % g != 0:
        g -= 1
    return nn.GroupNorm(g, ch, eps=1e-6)


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


def conv1x1(cin, cout):
    return nn.Conv2d(cin, cout, 1)


def zero_init(m):
    # Residual branches end in a zero-initialised layer, so every block starts as the identity.
    with torch.no_grad():
        m.weight.zero_()
        m.bias.zero_()
    return m


def timestep_embedding(t, dim):
    """Sinusoidal embedding of t (already scaled to [0, 1000]): [B] -> [B, dim] float32."""
    assert dim % 2 == 0 and dim >= 4
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000.0) / (half - 1)))
    args = t.float().unsqueeze(1) * freqs.unsqueeze(0)
    return torch.cat([torch.sin(args), torch.cos(args)], 1)


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, temb_ch, groups, dropout):
        super().__init__()
        # Creation order matches the C++ constructor, so the same global seed gives the same init.
        self.norm1 = group_norm(groups, in_ch)
        self.conv1 = conv3x3(in_ch, out_ch)
        self.temb_proj = nn.Linear(temb_ch, out_ch)
        self.norm2 = group_norm(groups, out_ch)
        self.drop = nn.Dropout(dropout)
        self.conv2 = zero_init(conv3x3(out_ch, out_ch))
        self.shortcut = conv1x1(in_ch, out_ch) if in_ch != out_ch else None

    def forward(self, x, temb):
        h = self.conv1(swish(self.norm1(x)))
        h = h + self.temb_proj(swish(temb))[:, :, None, None]
        h = self.conv2(self.drop(swish(self.norm2(h))))
        return (self.shortcut(x) if self.shortcut is not None else x) + h


class AttnBlock(nn.Module):
    """Single-head self-attention over the H*W positions, with a zero-initialised output proj."""

    def __init__(self, ch, groups):
        super().__init__()
        self.norm = group_norm(groups, ch)
        self.qkv = conv1x1(ch, 3 * ch)
        self.proj = zero_init(conv1x1(ch, ch))

    def forward(self, x):
        b, c, h, w = x.shape
        qkv = self.qkv(self.norm(x)).reshape(b, 3, c, h * w)
        q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]                                  # [B, C, N]
        attn = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(c), -1)  # [B, N, N]
        out = torch.bmm(v, attn.transpose(1, 2)).reshape(b, c, h, w)
        return x + self.proj(out)


class UNet(nn.Module):
    """Maps (x_in [B,C,H,W] int64, known [B,C,H,W], t [B], D) to logits [B, K, C, H, W].

    Submodules are registered under the flat names the C++ code uses ("down0_0",
    "down2_0_attn", "downsample0", "up1_1", ...), so parameter names match a C++ checkpoint;
    the plain Python lists below only hold references for the forward pass.
    """

    def __init__(self, channels, height, width, num_classes, ch, ch_mult, num_res_blocks,
                 attn_resolutions, num_groups, dropout):
        super().__init__()
        assert ch_mult and ch % 4 == 0
        C, K, G = channels, num_classes, num_groups
        self.C, self.K = C, K
        c0 = ch * ch_mult[0]
        temb_ch = 4 * ch
        self.ch = ch

        # Input processing: (scaled values, known mask) -> conv3x3 to 3c0/4 channels, and a class
        # embedding per data channel, flattened over channels and projected to c0/4.
        self.in_conv = conv3x3(2 * C, 3 * c0 // 4)
        self.in_embed = nn.Embedding(K, c0 // 4)
        self.in_embed_proj = nn.Linear(C * (c0 // 4), c0 // 4)
        # Time-embedding MLP.
        self.temb1 = nn.Linear(ch, temb_ch)
        self.temb2 = nn.Linear(temb_ch, temb_ch)

        levels = len(ch_mult)
        skip_ch = [c0]       # channels of every tensor pushed on the skip list
        level_res = []       # feature-map height at each level
        cur, res = c0, height
        self.down_blocks = [[] for _ in range(levels)]   # per level: [(ResBlock, AttnBlock|None)]
        self.downsample = []
        for l in range(levels):
            level_res.append(res)
            out = ch * ch_mult[l]
            for r in range(num_res_blocks):
                name = f"down{l}_{r}"
                block = self._add(name, ResBlock(cur, out, temb_ch, G, dropout))
                attn = self._add(name + "_attn", AttnBlock(out, G)) if res in attn_resolutions else None
                self.down_blocks[l].append((block, attn))
                cur = out
                skip_ch.append(cur)
            if l + 1 < levels:
                self.downsample.append(self._add(f"downsample{l}", conv3x3(cur, cur, stride=2)))
                skip_ch.append(cur)
                res = (res + 1) // 2

        self.mid1 = ResBlock(cur, cur, temb_ch, G, dropout)
        self.mid_attn = AttnBlock(cur, G)
        self.mid2 = ResBlock(cur, cur, temb_ch, G, dropout)

        # Up path: num_res_blocks + 1 blocks per level, each eating one skip tensor.
        self.up_blocks = [[] for _ in range(levels)]
        self.upsample = [None] * levels   # upsample[l]: conv after interpolating, leaving level l
        for l in reversed(range(levels)):
            out = ch * ch_mult[l]
            for r in range(num_res_blocks + 1):
                name = f"up{l}_{r}"
                skip = skip_ch.pop()
                block = self._add(name, ResBlock(cur + skip, out, temb_ch, G, dropout))
                attn = self._add(name + "_attn", AttnBlock(out, G)) if level_res[l] in attn_resolutions else None
                self.up_blocks[l].append((block, attn))
                cur = out
            if l > 0:
                self.upsample[l] = self._add(f"upsample{l}", conv3x3(cur, cur))

        self.out_norm = group_norm(G, cur)
        self.out_conv = conv3x3(cur, K * C)

    def _add(self, name, module):
        self.add_module(name, module)
        return module

    def forward(self, x_in, known, t, max_time):
        B, C, H, W = x_in.shape
        K = self.K
        # Input processing.
        xf = x_in.float() * (2.0 / K) - 1.0
        a = self.in_conv(torch.cat([xf, known.float()], 1))            # [B, 3c0/4, H, W]
        e = self.in_embed(x_in.permute(0, 2, 3, 1))                    # [B, H, W, C, c0/4]
        e = self.in_embed_proj(e.reshape(B, H, W, -1)).permute(0, 3, 1, 2)  # [B, c0/4, H, W]
        h = torch.cat([a, e], 1)                                       # [B, c0, H, W]

        ts = t.float() * (1000.0 / max_time)
        temb = self.temb2(swish(self.temb1(timestep_embedding(ts, self.ch))))  # [B, 4ch]

        hs = [h]
        levels = len(self.down_blocks)
        for l in range(levels):
            for block, attn in self.down_blocks[l]:
                h = block(h, temb)
                if attn is not None:
                    h = attn(h)
                hs.append(h)
            if l + 1 < levels:
                h = self.downsample[l](h)
                hs.append(h)

        h = self.mid2(self.mid_attn(self.mid1(h, temb)), temb)

        for l in reversed(range(levels)):
            for block, attn in self.up_blocks[l]:
                h = block(torch.cat([h, hs.pop()], 1), temb)
                if attn is not None:
                    h = attn(h)
            if l > 0:
                # Nearest upsampling to the size of the next skip tensor (handles odd sizes).
                h = F.interpolate(h, size=hs[-1].shape[2:], mode="nearest")
                h = self.upsample[l](h)

        h = self.out_conv(swish(self.out_norm(h)))   # [B, K*C, H, W], channel index k*C + c
        return h.view(B, K, C, H, W)


# ----------------------------------------------------------------------------------------------
# The objective (src/ardm/objective/objective.cpp).


def sample_orders(batch, num_steps, gen):
    # argsort of i.i.d. uniforms is a uniform random permutation; used directly as a rank array:
    # sigma[b, i] is the step at which flat location i is generated.
    u = torch.rand(batch, num_steps, generator=gen, dtype=torch.float64)
    return u.argsort(dim=1)


def sample_steps(batch, num_steps, gen):
    # "uniform" t sampling (the default): t ~ U{0, ..., D-1}, the number of known variables.
    return torch.randint(num_steps, (batch,), generator=gen, dtype=torch.int64)


def bound_terms(net, x, sigma, t, absorbing, ce_term):
    """Returns (loss with grad, elbo_bpd [B] float64, nce_bpd [B] float64)."""
    B = x.shape[0]
    D = x[0].numel()
    known = (sigma < t.unsqueeze(1)).view(x.shape)              # sigma < t: already generated
    x_in = torch.where(known, x, torch.full_like(x, absorbing))
    logits = net(x_in, known, t, D)                            # [B, K, C, H, W]
    lp = torch.log_softmax(logits, 1).gather(1, x.unsqueeze(1)).squeeze(1)   # [B, C, H, W] nats
    future = (~known).to(lp.dtype)                              # unknown set includes step t itself
    s_nats = (lp * future).reshape(B, -1).sum(1)                # [B]
    d_ln2 = D * math.log(2.0)
    remaining = (D - t).double()                                # >= 1
    s64 = s_nats.double()
    elbo_bpd = (s64 / remaining / d_ln2 * D).detach()
    nce_bpd = (s64 / d_ln2).detach()
    weight = (D / remaining).to(s_nats.dtype)
    loss = -(weight * s_nats).mean() / d_ln2 - ce_term * s_nats.mean() / d_ln2
    return loss, elbo_bpd, nce_bpd


def stochastic_bound(net, x, absorbing, ce_term, gen):
    B, D = x.shape[0], x[0].numel()
    sigma = sample_orders(B, D, gen)
    t = sample_steps(B, D, gen)
    return bound_terms(net, x, sigma, t, absorbing, ce_term)


# ----------------------------------------------------------------------------------------------
# Data: Fashion-MNIST from the Debian package dataset-fashion-mnist (gzip'd IDX files).


def fashion_mnist_dir():
    return os.environ.get("ARDM_FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist"


def load_fashion_mnist(split):
    """[N, 1, 28, 28] uint8 images. IDX3: 16-byte header (magic, N, rows, cols; big endian)."""
    name = "train" if split == "train" else "t10k"
    path = os.path.join(fashion_mnist_dir(), f"{name}-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in range(0, 16, 4))
    if magic != 0x00000803 or len(raw) != 16 + n * rows * cols:
        sys.exit(f"{path}: not an IDX file of uint8 images")
    # bytearray: a writable buffer, so torch.frombuffer does not warn.
    return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).view(n, 1, rows, cols)


# ----------------------------------------------------------------------------------------------
# Training (src/ardm/train.cpp).


def learning_rate(step):
    return LR * min(1.0, (step + 1) / LR_WARMUP) if LR_WARMUP > 0 else LR


def train(args):
    data = load_fashion_mnist("train")
    n = data.shape[0]
    torch.manual_seed(args.seed)  # weight init draws from the global generator, as in C++
    net = UNet(**MODEL_DEFAULTS)
    ema = UNet(**MODEL_DEFAULTS)
    ema.load_state_dict(net.state_dict())  # EMA starts at the initial weights
    for p in ema.parameters():
        p.requires_grad_(False)
    net.train()
    params = list(net.parameters())
    n_params = sum(p.numel() for p in params)
    print(f"model: UNet, {n_params} parameters; data: {n} images "
          f"{data.shape[1]}x{data.shape[2]}x{data.shape[3]}; {args.threads} thread(s)", file=sys.stderr)

    opt = torch.optim.Adam(params, lr=LR, betas=BETAS, eps=ADAM_EPS, weight_decay=0.0)
    absorbing = MODEL_DEFAULTS["num_classes"] // 2
    steps_per_epoch = max(1, n // args.batch)
    perm_epoch, perm = -1, None
    t_timed = None  # wall-clock start of the timed steps

    for step in range(args.steps):
        if step == args.warmup_steps:
            t_timed = time.perf_counter()
        epoch = step // steps_per_epoch
        if epoch != perm_epoch:
            perm = torch.randperm(n, generator=make_generator(mix_seed(args.seed, STREAM_EPOCH_SHUFFLE, epoch)))
            perm_epoch = epoch
        first = (step % steps_per_epoch) * args.batch
        x = data.index_select(0, perm[first:first + args.batch]).long()

        gen = make_generator(mix_seed(args.seed, STREAM_STEP, step))
        loss, elbo_bpd, nce_bpd = stochastic_bound(net, x, absorbing, CE_TERM, gen)
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            sys.exit(f"training diverged at step {step}")

        for group in opt.param_groups:
            group["lr"] = learning_rate(step)
        opt.zero_grad()
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        with torch.no_grad():  # EMA of the weights, one parameter at a time as in C++
            for e, p in zip(ema.parameters(), params):
                e.mul_(EMA_DECAY).add_(p.detach(), alpha=1.0 - EMA_DECAY)

        # The per-step scalars the C++ loop reads for its metrics rows.
        nelbo = -elbo_bpd.mean().item()
        ce = -nce_bpd.mean().item()
        if args.log_every and (step + 1) % args.log_every == 0:
            print(f'{{"step":{step + 1},"loss":{loss_value:.6f},"nelbo_bpd":{nelbo:.6f},'
                  f'"ce_bpd":{ce:.6f},"grad_norm":{float(grad_norm):.5g}}}', file=sys.stderr)

    elapsed = time.perf_counter() - t_timed
    timed_steps = args.steps - args.warmup_steps
    # Steps take the first `batch` images at each offset; with 60000 images and the batch sizes
    # used here every batch is full, so images = steps * batch.
    images_per_s = timed_steps * args.batch / elapsed
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    print(f"torch-python: images_per_s={images_per_s:.3f} steps={args.steps} timed_steps={timed_steps} "
          f"batch={args.batch} threads={args.threads} params={n_params} peak_rss_mb={peak_rss_mb:.1f} "
          f"final_loss={loss_value:.6f} torch={torch.__version__}")


# ----------------------------------------------------------------------------------------------
# Equivalence check against a C++ checkpoint: the bound of `ardm eval` (EMA weights).


def check_checkpoint(args):
    ckpt = torch.jit.load(args.check_checkpoint, map_location="cpu")
    # model_config is stored as "key=value" lines (src/ardm/config_io.cpp).
    cfg = dict(line.split("=", 1) for line in ckpt.model_config.strip().splitlines())
    ints = lambda s: tuple(int(v) for v in s.split(",") if v)
    net = UNet(channels=int(cfg["channels"]), height=int(cfg["height"]), width=int(cfg["width"]),
               num_classes=int(cfg["num_classes"]), ch=int(cfg["ch"]), ch_mult=ints(cfg["ch_mult"]),
               num_res_blocks=int(cfg["num_res_blocks"]), attn_resolutions=ints(cfg["attn_resolutions"]),
               num_groups=int(cfg["num_groups"]), dropout=float(cfg["dropout"]))
    state = {name: p for name, p in ckpt.ema.named_parameters()}
    net.load_state_dict(state, strict=True)  # fails on any name or shape difference
    net.eval()
    ce_term = float(dict(line.split("=", 1) for line in ckpt.objective_config.strip().splitlines())["ce_term"])
    absorbing = net.K // 2

    data = load_fashion_mnist("test")
    if args.check_limit > 0:
        data = data[:args.check_limit]
    n, passes, batch = data.shape[0], args.check_passes, args.check_batch
    per_image = torch.zeros(passes, n, dtype=torch.float64)
    with torch.no_grad():
        for p in range(passes):
            for first in range(0, n, batch):
                x = data[first:first + batch].long()
                gen = make_generator(mix_seed(args.check_seed, STREAM_EVAL, p * n + first))
                _, elbo_bpd, _ = stochastic_bound(net, x, absorbing, ce_term, gen)
                per_image[p, first:first + x.shape[0]] = -elbo_bpd
    bpd = per_image.mean(1).mean().item()
    print(f"check: {sum(v.numel() for v in state.values())} parameters loaded by name; "
          f"test bound {bpd:.4f} bpd ({n} images x {passes} passes, EMA weights, seed {args.check_seed})")
    print(f"compare: build/ardm eval --model {args.check_checkpoint} --limit {n} --passes {passes} "
          f"--batch {batch} --seed {args.check_seed}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=60, help="optimizer steps in all")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads")
    ap.add_argument("--warmup-steps", type=int, default=10, help="first steps, not timed")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=0, help="print a metrics row to stderr every N steps")
    ap.add_argument("--check-checkpoint", metavar="CKPT", help="only run the equivalence check on CKPT")
    ap.add_argument("--check-limit", type=int, default=100, help="test images for the check (0 = all)")
    ap.add_argument("--check-passes", type=int, default=1)
    ap.add_argument("--check-batch", type=int, default=100)
    ap.add_argument("--check-seed", type=int, default=1234)
    args = ap.parse_args()
    if args.threads < 1:
        ap.error("--threads must be at least 1")
    torch.set_num_threads(args.threads)
    if args.check_checkpoint:
        check_checkpoint(args)
        return
    if not 0 <= args.warmup_steps < args.steps:
        ap.error("need 0 <= --warmup-steps < --steps")
    if args.batch < 1 or args.batch > 60000:
        ap.error("--batch must be in [1, 60000]")
    train(args)


if __name__ == "__main__":
    main()
