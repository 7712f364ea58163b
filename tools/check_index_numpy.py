#!/usr/bin/python3
"""Loads every vector segment of an index folder with numpy and cross-checks the catalog.

Usage: /usr/bin/python3 tools/check_index_numpy.py <index-folder>
Shows that segments are plain .npy files (even the open one, even right after a crash) and that
the catalog's committed row counts match what numpy sees. Exits 1 on any disagreement.
"""
import os
import sqlite3
import sys

import numpy as np


def main(folder):
    # Read-only URI: never modify (or checkpoint) a catalog we are only inspecting.
    con = sqlite3.connect(f"file:{os.path.join(folder, 'catalog.sqlite')}?mode=ro", uri=True)
    meta = dict(con.execute("SELECT key, value FROM meta"))
    dim = int(meta["dim"])
    bad = 0
    live_total = 0
    for sid, name, rows, sealed in con.execute("SELECT id, name, rows, sealed FROM segments ORDER BY id"):
        path = os.path.join(folder, "segments", name)
        a = np.load(path, mmap_mode="r")
        live = con.execute("SELECT COUNT(*) FROM items WHERE segment=? AND deleted=0", (sid,)).fetchone()[0]
        live_total += live
        ok = a.shape[1] == dim and a.dtype.str == meta["dtype"] and a.shape[0] >= rows
        print(f"{name}: numpy {a.dtype.str} {a.shape}, catalog rows {rows}, live {live}, {'sealed' if sealed else 'open'}"
              f"{'' if ok else '  <-- MISMATCH'}")
        bad += not ok
    print(f"{live_total} live items; fingerprint {meta['fingerprint'][:80]}...")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
