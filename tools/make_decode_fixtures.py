#!/usr/bin/env python3
"""Writes the PIL-parity fixtures for the C# image decoder (tests/GpuSearch.Tests/Fixtures/decode/).

Why: the engine's models are trained on pixels that PIL produced, so our decoder (TurboJPEG, libpng, libwebp,
own GIF/BMP readers) is checked against PIL on real conformance files from ../shared/testdata/decoders and on a
few small files generated here (committed beside the fixture, so CI needs neither Python nor PIL).

For each file the fixture holds PIL's result *as our decoder defines the output*: RGB8, EXIF orientation applied
(ImageOps.exif_transpose), alpha composited onto white with PIL's paste-with-mask, 16-bit samples reduced to their
high byte. Stored per file: size, the first 128 bits of the SHA-256 of the RGB bytes, per-channel means and a few sampled pixels (16 for JPEG), which is
enough to compare JPEG within one level without storing pixels.

Run from the repository root with Debian's python3-pil:  /usr/bin/python3 tools/make_decode_fixtures.py
"""
import hashlib
import io
import json
import os
import random
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("GPUSEARCH_SHARED", os.path.join(REPO, "..", "shared"))
CORPUS = os.path.join(SHARED, "testdata", "decoders")
OUT = os.path.join(REPO, "tests", "GpuSearch.Tests", "Fixtures", "decode")
GEN = os.path.join(OUT, "generated")


def pil_rgb(path, target=None):
    """PIL's pixels for `path` under our decoder's conventions, as a uint8 HxWx3 array (or None: PIL refuses)."""
    im = Image.open(path)
    if im.format == "PNG" and im.mode in ("L", "1") and "transparency" in im.info and png_bit_depth(path) < 8:
        # PIL 9.4 compares the tRNS grey level (in 1/2/4-bit units) with the already expanded 8-bit samples,
        # so it makes the wrong pixels transparent; libpng follows the PNG spec. Not comparable.
        return None
    if target is not None:
        im.draft(im.mode, target)
    im.load()
    im = ImageOps.exif_transpose(im)
    if im.mode in ("I", "I;16", "I;16B"):
        if "transparency" in im.info:
            return None  # PIL's 16-bit grey transparency handling is not comparable; skipped
        a = (np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8)  # high byte, as PIL's 16-bit RGB unpackers do
        return np.repeat(a[:, :, None], 3, axis=2)
    has_alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    if has_alpha:
        if im.mode == "RGB" and isinstance(im.info.get("transparency"), tuple) and max(im.info["transparency"]) > 255:
            return None  # 16-bit RGB tRNS compared against 8-bit samples by PIL; not comparable
        rgba = im.convert("RGBA")
        bg = Image.new("RGB", im.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.split()[3])
        return np.asarray(bg)
    return np.asarray(im.convert("RGB"))


def png_bit_depth(path):
    with open(path, "rb") as f:
        return f.read(25)[24]


def record(rel, kind, arr, target=None):
    h, w, _ = arr.shape
    rng = random.Random(rel + str(target))
    # JPEG may differ by one level, so it needs samples to compare; elsewhere the hash decides and a few
    # samples only make a mismatch readable. Kept small: the whole fixture stays well under 200 KB.
    n = 14 if kind == "jpeg" else 2
    samples = [(0, 0), (w - 1, h - 1)] + [(rng.randrange(w), rng.randrange(h)) for _ in range(n)]
    rec = {
        "file": rel, "kind": kind, "w": w, "h": h,
        "sha": hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()[:32],  # first 128 bits of SHA-256
        "mean": [round(float(arr[:, :, c].mean()), 2) for c in range(3)],
        "samples": [[x, y] + [int(v) for v in arr[y, x]] for x, y in samples],
    }
    if target is not None:
        rec["target"] = list(target)
    return rec


def write_png(path, w, h, color_type, depth, raw_rows, extra=b""):
    """A minimal PNG writer for what PIL cannot save (16-bit RGB/RGBA, gAMA, eXIf)."""
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    data = b"".join(b"\0" + r for r in raw_rows)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0))
    png += extra + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def exif_orientation_bytes(o):
    ex = Image.Exif()
    ex[0x0112] = o
    return ex.tobytes()


def generate():
    """Small files that exercise conversions the corpora cover thinly. Deterministic."""
    os.makedirs(GEN, exist_ok=True)
    y, x = np.mgrid[0:24, 0:40]
    grad = np.stack([x * 6, y * 10, (x + y) * 4], axis=2).astype(np.uint8)
    base = Image.fromarray(grad, "RGB")
    out = []
    for o in range(1, 9):
        p = f"orient{o}.jpg"
        base.save(os.path.join(GEN, p), quality=92, exif=exif_orientation_bytes(o))
        out.append(p)
    base.convert("CMYK").save(os.path.join(GEN, "cmyk.jpg"), quality=92); out.append("cmyk.jpg")
    base.convert("L").save(os.path.join(GEN, "gray.jpg"), quality=92); out.append("gray.jpg")
    base.save(os.path.join(GEN, "prog444.jpg"), quality=95, progressive=True, subsampling=0); out.append("prog444.jpg")
    alpha = (x * 255 // 39).astype(np.uint8)
    rgba = Image.fromarray(np.dstack([grad, alpha]), "RGBA")
    rgba.save(os.path.join(GEN, "rgba.png")); out.append("rgba.png")
    Image.fromarray(np.dstack([grad[:, :, 0], alpha]), "LA").save(os.path.join(GEN, "la.png")); out.append("la.png")
    pal = base.quantize(16)
    pal.info["transparency"] = 3
    pal.save(os.path.join(GEN, "p_trns.png"), transparency=3); out.append("p_trns.png")
    pal.save(os.path.join(GEN, "p_trns.gif"), transparency=3); out.append("p_trns.gif")
    base.quantize(200).save(os.path.join(GEN, "opaque.gif")); out.append("opaque.gif")
    rgba.save(os.path.join(GEN, "alpha_lossy.webp"), quality=80); out.append("alpha_lossy.webp")
    rgba.save(os.path.join(GEN, "alpha_lossless.webp"), lossless=True); out.append("alpha_lossless.webp")
    base.save(os.path.join(GEN, "orient8.webp"), quality=90, exif=exif_orientation_bytes(8)); out.append("orient8.webp")
    base.save(os.path.join(GEN, "rgb24.bmp")); out.append("rgb24.bmp")
    # Animated WebP: not listed as an entry (no PIL comparison); the C# test expects a typed Unsupported.
    frames = [base, base.transpose(Image.FLIP_LEFT_RIGHT)]
    frames[0].save(os.path.join(GEN, "anim.webp"), save_all=True, append_images=frames[1:], duration=100, lossless=True)
    base.quantize(16).save(os.path.join(GEN, "p8.bmp")); out.append("p8.bmp")
    base.convert("1").save(os.path.join(GEN, "bw1.bmp")); out.append("bw1.bmp")
    # 16-bit PNGs with gAMA 1.0 (which PIL ignores and we strip) and one with an eXIf orientation.
    g16 = (grad.astype(np.uint16) * 257 + (x[:, :, None] * 37 % 256).astype(np.uint16)).astype(">u2")
    gama = struct.pack(">I", 100000)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    write_png(os.path.join(GEN, "rgb16_gama.png"), 40, 24, 2, 16, [g16[r].tobytes() for r in range(24)], chunk(b"gAMA", gama))
    out.append("rgb16_gama.png")
    a16 = np.dstack([g16, (alpha.astype(np.uint16) * 257).astype(">u2")]).astype(">u2")
    write_png(os.path.join(GEN, "rgba16.png"), 40, 24, 6, 16, [a16[r].tobytes() for r in range(24)]); out.append("rgba16.png")
    exif = exif_orientation_bytes(6)
    if exif.startswith(b"Exif\0\0"):
        exif = exif[6:]
    write_png(os.path.join(GEN, "exif6.png"), 40, 24, 2, 8, [grad[r].tobytes() for r in range(24)], chunk(b"eXIf", exif))
    out.append("exif6.png")
    return out


def corpus_files():
    picks = []
    def walk(sub, exts, skip=lambda n: False):
        d = os.path.join(CORPUS, sub)
        if not os.path.isdir(d):
            return
        for root, _, files in os.walk(d):
            for n in sorted(files):
                if os.path.splitext(n)[1].lower() in exts and not skip(n):
                    picks.append(os.path.relpath(os.path.join(root, n), CORPUS))
    walk("pngsuite_full", {".png"}, skip=lambda n: n.startswith("x"))
    walk("libpng_contrib/testpngs", {".png"}, skip=lambda n: False)
    walk("go_image_testdata", {".jpeg", ".gif", ".png"}, skip=lambda n: n.startswith("invalid"))
    picks[:] = [p for p in picks if "png_testdata/pngsuite" not in p]  # the same files as pngsuite_full
    walk("go_x_image_testdata", {".webp", ".bmp", ".jpeg"})
    walk("libwebp_test_data", {".webp"})
    walk("libjpeg_turbo_testimages", {".jpg", ".bmp"}, skip=lambda n: "12" in n)
    walk("giflib_pic", {".gif"})
    return sorted(p for p in picks if "/crashers/" not in p)


def kind_of(path):
    with open(path, "rb") as f:
        head = f.read(12)
    if head[:3] == b"\xff\xd8\xff": return "jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n": return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP": return "webp"
    if head[:3] == b"GIF": return "gif"
    if head[:2] == b"BM": return "bmp"
    return "other"


def main():
    entries, refused = [], []
    for rel in generate():
        p = os.path.join(GEN, rel)
        entries.append(record("generated/" + rel, kind_of(p), pil_rgb(p)))
    for rel in corpus_files():
        p = os.path.join(CORPUS, rel)
        try:
            arr = pil_rgb(p)
        except Exception as e:  # PIL refuses some valid-but-exotic files; list them, compare nothing
            refused.append(f"{rel}: {type(e).__name__}: {e}")
            continue
        if arr is None:
            refused.append(f"{rel}: not comparable (16-bit or low-bit grey tRNS, see pil_rgb)")
            continue
        entries.append(record(rel, kind_of(p), arr))
    # DCT-domain scaling against PIL's draft.
    for rel in ["libjpeg_turbo_testimages/testorig.jpg", "go_image_testdata/video-001.jpeg", "go_image_testdata/video-001.cmyk.jpeg"]:
        p = os.path.join(CORPUS, rel)
        if not os.path.exists(p):
            continue
        w, h = Image.open(p).size
        # The C# test decodes these with DctScaling = PilDraft; the odd sizes check PIL's integer rule exactly.
        for t in [(w // 2, h // 2), (w // 4, h // 4), (w // 8, h // 8), (w * 2 // 3, h * 2 // 3), (w // 2 + 1, h // 2), (w // 3, h // 5)]:
            entries.append(record(rel, "jpeg", pil_rgb(p, t), t))
    doc = {"generator": "tools/make_decode_fixtures.py", "pil": Image.__version__,
           "conventions": "RGB8; exif_transpose; alpha pasted on white; 16-bit -> high byte",
           "refused_by_pil": refused, "entries": entries}
    os.makedirs(OUT, exist_ok=True)
    # One entry per line, so a regeneration shows up in review as a readable per-file diff.
    body = json.dumps({k: v for k, v in doc.items() if k != "entries"}, separators=(",", ":"))[:-1]
    lines = [json.dumps(e, separators=(",", ":")) for e in entries]
    with open(os.path.join(OUT, "pil_parity.json"), "w") as f:
        f.write(body + ',"entries":[\n' + ",\n".join(lines) + "\n]}\n")
    print(f"{len(entries)} entries, {len(refused)} refused by PIL -> {os.path.relpath(OUT, REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
