#!/usr/bin/python3
"""Lossless photographs with the photo model against the strongest classical lossless image
codecs, in this one run on the same files: python3-skimage's photographs (never seen in
training), at full size and downscaled by 2 and 4 (area filter), in RGB (the colour ones) and
gray (every one: the colour ones converted with the BT.601 luma the model's gray windows use),
each file compressed alone.

  * cjxl -d 0 -e 9 (JPEG XL lossless at its slowest setting), cwebp -lossless -z 9 and
    optipng -o7: file sizes in bits per subpixel (values: pixels x channels) over each set;
  * ardm by the model alone (--method model) at the default level or the budgets given: the
    whole .ardm files (headers included) in bits per subpixel, the model's exact code length,
    compress and decompress speed in subpixels per second (wall clock, all cores), and every
    file decoded in another process and compared pixel for pixel.

  /usr/bin/python3 bench/photo_bench.py [--scales 1,2,4] [--colors rgb,gray] [--budgets 20]
Environment: ARDM (default build/ardm), ARDM_PHOTO_MODEL (default: the bundled model),
ONLY (a regular expression of photo names), PEERS=0 (ardm alone). Needs python3-pil,
python3-skimage, libjxl-tools, webp and optipng (ARDM_SETUP_BENCH=1 bash scripts/setup.sh --train).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from PIL import Image

SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
PHOTOS = ["astronaut.png", "camera.png", "chelsea.png", "coffee.png", "coins.png", "moon.png",
          "brick.png", "grass.png", "gravel.png", "motorcycle_left.png", "rocket.jpg"]


def luma(img):
    r, g, b = img.split()
    px = [(299 * x + 587 * y + 114 * z + 500) // 1000 for x, y, z in zip(r.getdata(), g.getdata(), b.getdata())]
    out = Image.new("L", img.size)
    out.putdata(px)
    return out


def make_set(work, scale, color, only):
    folder = os.path.join(work, f"x{scale}-{color}")
    os.makedirs(folder)
    for name in PHOTOS:
        if only and not re.search(only, name):
            continue
        img = Image.open(os.path.join(SKIMAGE, name))
        gray = img.mode in ("L", "I", "I;16")
        if color == "rgb" and gray:
            continue
        img = img.convert("L" if gray else "RGB")
        if color == "gray" and not gray:
            img = luma(img)
        if scale > 1:
            img = img.crop((0, 0, img.size[0] // scale * scale, img.size[1] // scale * scale)).reduce(scale)
        img.save(os.path.join(folder, os.path.splitext(name)[0] + ".png"))
    return folder


def subpixels(path):
    img = Image.open(path)
    return img.size[0] * img.size[1] * len(img.getbands())


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def peer(name, files, out_dir, fn):
    os.makedirs(out_dir)
    t0 = time.time()
    total = 0
    for f in files:
        total += fn(f, os.path.join(out_dir, os.path.basename(f)))
    return total, time.time() - t0


def cjxl(f, out):
    run(["cjxl", "-d", "0", "-e", "9", "--quiet", f, out + ".jxl"])
    return os.path.getsize(out + ".jxl")


def cwebp(f, out):
    run(["cwebp", "-lossless", "-z", "9", "-quiet", "-o", out + ".webp", f])
    return os.path.getsize(out + ".webp")


def optipng(f, out):
    shutil.copy(f, out)
    run(["optipng", "-o7", "-quiet", out])
    return os.path.getsize(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1,2,4")
    ap.add_argument("--colors", default="rgb,gray")
    ap.add_argument("--budgets", default="")
    a = ap.parse_args()
    ardm = os.environ.get("ARDM", "build/ardm")
    only = os.environ.get("ONLY", "")
    peers = os.environ.get("PEERS", "1") != "0"
    budgets = [b for b in a.budgets.split(",") if b] or [None]
    work = tempfile.mkdtemp()
    try:
        print(f"photographs: python3-skimage's, each file alone; {os.cpu_count()} cores; model "
              f"{os.environ.get('ARDM_PHOTO_MODEL', 'bundled')}; bits per subpixel (values: pixels x channels)")
        for scale in [int(s) for s in a.scales.split(",")]:
            for color in a.colors.split(","):
                folder = make_set(work, scale, color, only)
                files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
                if not files:
                    continue
                n = sum(subpixels(f) for f in files)
                raw = sum(os.path.getsize(f) for f in files)
                print(f"\n## {'full size' if scale == 1 else f'downscaled by {scale}'}, {color}: {len(files)} photos, "
                      f"{n} subpixels ({', '.join(os.path.basename(f)[:-4] for f in files)})\n")
                print("| codec | bits per subpixel | bytes | compress subpixels/s | decompress subpixels/s |")
                print("|---|---|---|---|---|")
                print(f"| PNG as made by Pillow | {8 * raw / n:.3f} | {raw} | | |")
                if peers:
                    for name, fn in [("optipng -o7", optipng), ("cwebp -lossless -z 9", cwebp), ("cjxl -d 0 -e 9", cjxl)]:
                        size, secs = peer(name, files, os.path.join(folder, name.split()[0]), fn)
                        print(f"| {name} | {8 * size / n:.3f} | {size} | {n / secs:,.0f} | |", flush=True)
                for budget in budgets:
                    out = os.path.join(folder, f"ardm-{budget}")
                    os.makedirs(out)
                    flag = ["--budget", budget] if budget else []
                    t0 = time.time()
                    model_bits = 0.0
                    for f in files:
                        r = run([ardm, "compress", "-v", "-k", "--method", "model", *flag, "-o",
                                 os.path.join(out, os.path.basename(f) + ".ardm"), f])
                        m = re.search(r"\(model ([0-9.]+)\)", r.stderr.decode())
                        model_bits += float(m.group(1)) * subpixels(f)
                    t_enc = time.time() - t0
                    t0 = time.time()
                    for f in files:
                        run([ardm, "decompress", "-q", "-o", os.path.join(out, os.path.basename(f)),
                             os.path.join(out, os.path.basename(f) + ".ardm")])
                    t_dec = time.time() - t0
                    bad = [os.path.basename(f) for f in files
                           if Image.open(f).tobytes() != Image.open(os.path.join(out, os.path.basename(f))).tobytes()]
                    size = sum(os.path.getsize(os.path.join(out, os.path.basename(f) + ".ardm")) for f in files)
                    label = f"ardm, the model alone ({'budget ' + budget if budget else 'default level'})"
                    print(f"| {label} | **{8 * size / n:.3f}** (exact {model_bits / n:.3f}) | {size} | {n / t_enc:,.0f} | "
                          f"{n / t_dec:,.0f} |", flush=True)
                    print(f"\nround trip: {len(files) - len(bad)}/{len(files)} photos back pixel for pixel"
                          + (f"; DIFFERENT: {' '.join(bad)}" if bad else ""))
    finally:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
