#!/usr/bin/env python3
"""make_images.py OUT N — N JPEGs of varied content and size (smooth colour waves plus noise, 500×375 to 1024×768) for
bench/gpu/run.sh's embed and ingest steps: decode does real work, nothing is fetched."""
import os
import sys
from multiprocessing import Pool

import numpy as np
from PIL import Image

SIZES = [(640, 480), (800, 600), (500, 375), (1024, 768)]


def make(args):
    out, i = args
    rng = np.random.default_rng(i)
    w, h = SIZES[i % len(SIZES)]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    f = rng.uniform(0.005, 0.05, 3)
    img = np.stack([127 + 100 * np.sin(x * f[c] + y * f[(c + 1) % 3] + i) for c in range(3)], -1)
    img += rng.normal(0, 12, img.shape)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(f"{out}/img{i:05d}.jpg", quality=90)


if __name__ == "__main__":
    out, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    with Pool(os.cpu_count()) as p:
        p.map(make, [(out, i) for i in range(n)], chunksize=8)
    print(f"{n} images in {out}")
