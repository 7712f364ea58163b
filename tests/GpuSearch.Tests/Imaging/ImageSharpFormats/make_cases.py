#!/usr/bin/env python3
"""make_cases.py OUT_DIR [--expect FILE...] — writes small TIFF/TGA/PNM files with PIL and, next to each, NAME.rgb: the pixels PIL
decodes from that file under our conventions (first frame, alpha composited onto white with paste-with-mask,
EXIF orientation applied). Run at test time; nothing binary is committed. Prints one file name a line.
With --expect, writes OUT_DIR/BASENAME.rgb for each given file that PIL decodes (the conformance suites) instead."""
import os
import sys

import numpy as np
from PIL import Image, ImageOps

out = sys.argv[1]
rng = np.random.default_rng(13)
W, H = 37, 23  # odd sizes: row padding and RLE packets that straddle rows


def rgb():
    # Smooth gradients plus noise: runs for RLE/LZW to find and values across the whole range.
    y, x = np.mgrid[0:H, 0:W]
    base = np.stack([x * 255 // (W - 1), y * 255 // (H - 1), (x + y) * 255 // (W + H - 2)], -1)
    noise = rng.integers(0, 256, (H, W, 3))
    mask = rng.random((H, W, 1)) < 0.3
    return Image.fromarray(np.where(mask, noise, base).astype(np.uint8), "RGB")


def rgba():
    a = rng.integers(0, 256, (H, W, 1)).astype(np.uint8)
    a[:4] = 255
    a[4:8] = 0
    return Image.fromarray(np.concatenate([np.asarray(rgb()), a], -1), "RGBA")


def expected(path):
    im = Image.open(path)
    im.seek(0)
    # PIL applies a TIFF's Orientation tag itself when it loads the file (exif_transpose on top would turn it
    # twice); for the other formats exif_transpose is the convention.
    if im.format == "TIFF":
        im.load()
    else:
        im = ImageOps.exif_transpose(im)
    if im.mode in ("I", "I;16", "I;16B"):
        # 16-bit grey: the high byte, the convention of tools/make_decode_fixtures.py (PIL's convert("RGB") clips)
        a = (np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(a[:, :, None], 3, axis=2)).tobytes()
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        bg = Image.new("RGB", im.size, (255, 255, 255))
        bg.paste(im, mask=im.getchannel("A"))
        im = bg
    return im.convert("RGB").tobytes()


def save(name, im, **kw):
    path = os.path.join(out, name)
    im.save(path, **kw)
    return path


def plain(name, kind, im):
    # PIL writes only raw Netpbm; plain (ASCII) files are written here, one sample per token.
    a = np.asarray(im)
    path = os.path.join(out, name)
    with open(path, "w") as f:
        f.write(f"P{kind}\n# plain, written by make_cases.py\n{im.size[0]} {im.size[1]}\n")
        if kind != 1:
            f.write("255\n")
        flat = (1 - a.astype(np.uint8)).ravel() if kind == 1 else a.ravel()  # PBM: 1 is black
        for i in range(0, flat.size, 17):
            f.write(" ".join(str(v) for v in flat[i:i + 17]) + "\n")
    return path


if len(sys.argv) > 2 and sys.argv[2] == "--expect":
    for p in sys.argv[3:]:
        try:
            data = expected(p)
        except Exception as e:  # PIL refuses it too: no expectation, the test only wants a typed refusal
            print(f"{os.path.basename(p)}\tPIL: {e}")
            continue
        with open(os.path.join(out, os.path.basename(p) + ".rgb"), "wb") as f:
            f.write(data)
        print(os.path.basename(p))
    sys.exit(0)

paths = [
    save("rgb_raw.tif", rgb()),
    save("rgb_lzw.tif", rgb(), compression="tiff_lzw"),
    save("rgb_deflate.tif", rgb(), compression="tiff_adobe_deflate"),
    save("rgb_packbits.tif", rgb(), compression="packbits"),
    save("grey.tif", rgb().convert("L")),
    save("bilevel.tif", rgb().convert("1")),
    save("palette.tif", rgb().quantize(16)),
    save("rgba.tif", rgba()),
    save("two_pages.tif", rgb(), save_all=True, append_images=[rgb()]),
    save("rgb.tga", rgb()),
    save("rgb_rle.tga", rgb(), compression="tga_rle"),
    save("rgba.tga", rgba()),
    save("grey.tga", rgb().convert("L")),
    save("palette.tga", rgb().quantize(16)),
    save("rgb.ppm", rgb()),
    save("grey.pgm", rgb().convert("L")),
    save("bilevel.pbm", rgb().convert("1")),
    plain("plain.ppm", 3, rgb()),
    plain("plain.pgm", 2, rgb().convert("L")),
    plain("plain.pbm", 1, rgb().convert("1")),
]
# A TIFF whose Orientation tag says "rotate 90° clockwise": pixels come out upright, as with JPEG EXIF.
im = rgb()
exif = im.getexif()
exif[0x0112] = 6
paths.append(save("oriented.tif", im, exif=exif))

for p in paths:
    with open(p + ".rgb", "wb") as f:
        f.write(expected(p))
    print(os.path.basename(p))
