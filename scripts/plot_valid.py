#!/usr/bin/env python3
"""Draws a training run's validation bound against training time (scripts/train_model.sh
appends "minutes step bound" rows to RUN/valid.txt) as an SVG.

    python3 scripts/plot_valid.py RUN/valid.txt docs/img/text-valid.svg [TITLE [UNIT]]
Needs matplotlib (ARDM_SETUP_BENCH=1 bash scripts/setup.sh installs python3-matplotlib).
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rows = []
    with open(sys.argv[1]) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] != "":
                rows.append((float(parts[0]), int(parts[1]), float(parts[2])))
    if not rows:
        sys.exit(sys.argv[1] + ": no rows")
    hours = [m / 60 for m, _, _ in rows]
    bound = [b for _, _, b in rows]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(hours, bound, marker="o", markersize=3)
    ax.set_xlabel("training time on 2 CPU cores (hours)")
    ax.set_ylabel("validation bound (" + (sys.argv[4] if len(sys.argv) > 4 else "bits per byte") + ")")
    ax.set_title(sys.argv[3] if len(sys.argv) > 3 else "text model: validation bound")
    ax.grid(True, alpha=0.3)
    for h, (_, step, b) in zip(hours[-1:], rows[-1:]):
        ax.annotate(f"step {step}: {b:.3f}", (h, b), textcoords="offset points", xytext=(-60, 10))
    fig.tight_layout()
    fig.savefig(sys.argv[2])


if __name__ == "__main__":
    main()
