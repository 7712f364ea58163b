#!/usr/bin/env python3
"""pil_decode.py — PIL decode throughput on the same files gpusearch-bench decode measures (one thread).
usage: pil_decode.py SIZE REPEAT FILE...   prints JSON {"full": images_per_s, "scaled": images_per_s}
scaled uses PIL's draft() (DCT-domain downscale so both sides stay >= SIZE), as torchvision users get it.
"""
import io
import json
import sys
import time

from PIL import Image


def run(blobs, size, repeat, scaled):
    best = float("inf")
    for _ in range(repeat + 1):  # first pass warms up
        t = time.perf_counter()
        for b in blobs:
            im = Image.open(io.BytesIO(b))
            if scaled:
                im.draft("RGB", (size, size))
            im.convert("RGB").load()
        best = min(best, time.perf_counter() - t)
    return len(blobs) / best


def main():
    size, repeat, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    blobs = [open(f, "rb").read() for f in files]
    print(json.dumps({"full": run(blobs, size, repeat, False), "scaled": run(blobs, size, repeat, True),
                      "pil": Image.__version__}))


if __name__ == "__main__":
    main()
