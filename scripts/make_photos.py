#!/usr/bin/python3
"""Makes the photo model's photographs (docs/photos.md) in runs/photos (or the folder given).

train/ and valid/: the photographs among Debian's plasma-workspace-wallpapers (the drawings and
renders left out; ukui-wallpapers holds none), each at its largest size, downscaled with an area
filter (the mean of each f x f block) by f = 4, 5, 6, 7 and 8, so no JPEG artefact is left, as
ImageNet32/64 were made. Each downscaled photo's first seven eighths of rows go to train/; the
last eighth goes to valid/ for f = 4, 6 and 8 (the validation set since the first model) and is
left out for f = 5 and 7, so no validation row is seen in training at another scale. test/: python3-skimage's photographs as they are (the benchmark's test set); the
model never trains on them. Needs python3-pil (bash scripts/setup.sh --train).
"""
import glob
import os
import sys

from PIL import Image

WALLPAPERS = "/usr/share/wallpapers"
# The photographs; the other wallpapers of the package are drawings and renders.
PHOTOS = ["BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf",
          "Grey", "Kite", "OneStandsOut", "Path", "summer_1am"]
FACTORS = [4, 5, 6, 7, 8]
VALID_FACTORS = [4, 6, 8]
SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
# python3-skimage's photographs (not its drawings, scans of text or microscope slides).
TEST = ["astronaut.png", "camera.png", "chelsea.png", "coffee.png", "coins.png", "moon.png",
        "brick.png", "grass.png", "gravel.png", "motorcycle_left.png", "rocket.jpg"]


def largest(name):
    files = glob.glob(os.path.join(WALLPAPERS, name, "contents", "images", "*"))
    if not files:
        sys.exit(f"{name}: not found under {WALLPAPERS}; run bash scripts/setup.sh --train")
    return max(files, key=lambda p: int(os.path.basename(p).split("x")[0]))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "runs/photos"
    for split in ("train", "valid", "test"):
        os.makedirs(os.path.join(out, split), exist_ok=True)
    for name in PHOTOS:
        src = largest(name)
        img = Image.open(src).convert("RGB")
        for f in FACTORS:
            w, h = img.size[0] // f * f, img.size[1] // f * f
            small = img.crop((0, 0, w, h)).reduce(f)  # the mean of each f x f block
            cut = small.size[1] * 7 // 8
            small.crop((0, 0, small.size[0], cut)).save(os.path.join(out, "train", f"{name}-x{f}.png"))
            if f in VALID_FACTORS:
                small.crop((0, cut, small.size[0], small.size[1])).save(os.path.join(out, "valid", f"{name}-x{f}.png"))
        print(f"{os.path.basename(os.path.dirname(os.path.dirname(os.path.dirname(src))))}: {src} {img.size[0]}x{img.size[1]}")
    for name in TEST:
        img = Image.open(os.path.join(SKIMAGE, name))
        img = img.convert("L" if img.mode in ("L", "I", "I;16") else "RGB")
        img.save(os.path.join(out, "test", os.path.splitext(name)[0] + ".png"))
    print(f"{out}: {len(PHOTOS) * len(FACTORS)} photos in train/, {len(PHOTOS) * len(VALID_FACTORS)} in valid/, "
          f"{len(TEST)} in test/")


if __name__ == "__main__":
    main()
