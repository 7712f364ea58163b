#!/usr/bin/python3
"""make_copydetect_set.py — a copy-detection evaluation set from images in Debian packages, rebuilt
deterministically (fixed seed), kept out of git.

Originals: the photos of opencv-doc (examples/data), scikit-image's sample data (python3-skimage) and MATE's
wallpapers (mate-backgrounds), extracted from the .debs (nothing installed). Each original goes to the gallery
as a JPEG (q95, longer side <= 1024); images under 96 px on a side are dropped, and where a package ships the
same picture at several resolutions only the first by name is kept. Each original then gives six queries made
with ImageMagick (the edits of the retrieval-quality issue):

  blur     Gaussian blur (separable), sigma 1.5 % of the shorter side
  down20   downscaled to 20 % of each side
  jpeg15   JPEG quality 15
  border   white border, 12-20 % of the longer side on every side
  crop70   a 70 % x 70 % crop at a seeded random position
  flipgray mirrored left-right and made grey

usage: make_copydetect_set.py [OUT_DIR]   (default ~/.cache/gpusearch/copydetect)
writes OUT_DIR/gallery/*.jpg, OUT_DIR/queries/*.jpg, OUT_DIR/truth.csv (query,relevant as paths relative to
the query and gallery folders) and OUT_DIR/SOURCES.txt (package versions and licences' locations).

Then, for example:
  gpusearch index OUT_DIR/gallery --db OUT_DIR/index-resnet18
  gpusearch eval --db OUT_DIR/index-resnet18 --queries OUT_DIR/queries --truth OUT_DIR/truth.csv -k 10
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

SEED = 20261202
PACKAGES = {
    "opencv-doc": ("usr/share/doc/opencv-doc/examples/data", False),
    "python3-skimage": ("usr/lib/python3/dist-packages/skimage/data", False),
    "mate-backgrounds": ("usr/share/backgrounds/mate", True),
}
EXTENSIONS = (".jpg", ".jpeg", ".png")
MIN_SIDE = 96
EDITS = ["blur", "down20", "jpeg15", "border", "crop70", "flipgray"]


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def identify(path):
    out = subprocess.run(["identify", "-format", "%w %h\n", path + "[0]"], check=True, capture_output=True, text=True).stdout
    w, h = out.split()[:2]
    return int(w), int(h)


def extract(pkg, work):
    """Downloads the package's .deb into work/ and extracts it; returns (root dir, version)."""
    subprocess.run(["apt-get", "download", pkg], cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deb = next(f for f in os.listdir(work) if f.startswith(pkg + "_") and f.endswith(".deb"))
    root = os.path.join(work, pkg)
    run("dpkg-deb", "-x", os.path.join(work, deb), root)
    return root, deb[len(pkg) + 1:-len("_all.deb")]


def base_key(name):
    # MATE ships e.g. Elephants.jpg, Elephants_3840x2160.jpg, Elephants_5640x3172.jpg: one picture.
    return re.sub(r"_\d+x\d+$", "", os.path.splitext(name)[0]).lower()


def edit(src, dst, kind, rng, w, h):
    if kind == "blur":
        run("convert", src, "-blur", f"0x{max(1.0, 0.015 * min(w, h)):.1f}", "-quality", "95", dst)
    elif kind == "down20":
        run("convert", src, "-resize", "20%", "-quality", "95", dst)
    elif kind == "jpeg15":
        run("convert", src, "-quality", "15", dst)
    elif kind == "border":
        b = int(round(rng.uniform(0.12, 0.20) * max(w, h)))
        run("convert", src, "-bordercolor", "white", "-border", f"{b}x{b}", "-quality", "95", dst)
    elif kind == "crop70":
        cw, ch = int(0.7 * w), int(0.7 * h)
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        run("convert", src, "-crop", f"{cw}x{ch}+{x}+{y}", "+repage", "-quality", "95", dst)
    elif kind == "flipgray":
        run("convert", src, "-flop", "-colorspace", "Gray", "-quality", "95", dst)
    else:
        raise ValueError(kind)


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/gpusearch/copydetect"))
    if shutil.which("convert") is None or shutil.which("identify") is None:
        print("error: ImageMagick is required (apt-get install imagemagick)", file=sys.stderr)
        return 1
    rng = random.Random(SEED)
    gallery, queries = os.path.join(out, "gallery"), os.path.join(out, "queries")
    for d in (gallery, queries):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    sources, truth = [], ["query,relevant"]
    with tempfile.TemporaryDirectory() as work:
        for pkg, (folder, recursive) in PACKAGES.items():
            root, version = extract(pkg, work)
            base = os.path.join(root, folder)
            files = []
            for dirpath, _, names in os.walk(base):
                files += [os.path.join(dirpath, n) for n in names if n.lower().endswith(EXTENSIONS)]
                if not recursive:
                    break
            seen, kept = set(), 0
            for f in sorted(files):
                key = base_key(os.path.basename(f))
                if key in seen:
                    continue
                try:
                    w, h = identify(f)
                except subprocess.CalledProcessError:
                    continue
                if min(w, h) < MIN_SIDE:
                    continue
                seen.add(key)
                stem = f"{pkg}__{re.sub(r'[^A-Za-z0-9_.-]', '_', os.path.splitext(os.path.relpath(f, base))[0])}"
                original = os.path.join(gallery, stem + ".jpg")
                run("convert", f + "[0]", "-auto-orient", "-resize", "1024x1024>", "-colorspace", "sRGB", "-type", "TrueColor",
                    "-quality", "95", original)
                gw, gh = identify(original)
                for kind in EDITS:
                    q = f"{stem}__{kind}.jpg"
                    edit(original, os.path.join(queries, q), kind, rng, gw, gh)
                    truth.append(f"{q},{stem}.jpg")
                kept += 1
            sources.append(f"{pkg} {version}: {kept} originals from /{folder} (copyright: /usr/share/doc/{pkg}/copyright in the .deb)")
            print(sources[-1])
    with open(os.path.join(out, "truth.csv"), "w") as fh:
        fh.write("\n".join(truth) + "\n")
    with open(os.path.join(out, "SOURCES.txt"), "w") as fh:
        fh.write(f"seed {SEED}; edits {', '.join(EDITS)}\n" + "\n".join(sources) + "\n")
    print(f"{out}: {len(os.listdir(gallery))} gallery images, {len(truth) - 1} queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
