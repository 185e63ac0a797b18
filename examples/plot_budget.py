#!/usr/bin/env python3
"""Compressed size against the number of network calls (the budget), for a few images.

    python3 examples/plot_budget.py [IMAGES.png ...] [-o budget.png]

Each PNG is coded by its kind's bundled model alone (method="model": no classical fallback)
at budgets 1 to 100; the plot shows bits per subpixel against the budget, one line per image.
Default images: the repository's golden test images (Fashion-MNIST and two photo crops).
Needs the ardm package (pip install .) and matplotlib.
"""
import argparse
import glob
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import ardm  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUDGETS = [1, 2, 3, 5, 8, 12, 20, 30, 50, 100]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("images", nargs="*", default=sorted(glob.glob(os.path.join(HERE, "..", "tests", "golden", "*.png"))))
    p.add_argument("-o", "--out", default="budget.png")
    args = p.parse_args()
    fig, ax = plt.subplots(figsize=(6, 4))
    for path in args.images:
        with open(path, "rb") as f:
            png = f.read()
        subpixels = ardm.decompress(ardm.compress(png, method="stored")).size
        xs, ys = [], []
        for b in BUDGETS:
            try:
                blob = ardm.compress(png, budget=b, method="model")
            except ValueError:  # below the model's stages or above what it can spend
                continue
            xs.append(b)
            ys.append(8 * len(blob) / subpixels)
        print(f"{os.path.basename(path)}: " + ", ".join(f"{x}: {y:.3f}" for x, y in zip(xs, ys)) + " bits per subpixel")
        ax.plot(xs, ys, marker="o", label=os.path.basename(path))
    ax.set_xscale("log")
    ax.set_xlabel("budget (network calls per image or tile)")
    ax.set_ylabel("bits per subpixel (file size)")
    ax.set_title("ardm: compressed size against the budget")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
