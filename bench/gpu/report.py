#!/usr/bin/env python3
"""report.py OUT DRY DEVICE N D ARCH — collates bench/gpu/run.sh's step outputs in OUT into gpu-check.json (every number)
and gpu-check.md (a RESULTS fragment: step table, then one table per measurement). Reads only what the steps wrote;
a missing or broken file makes that section say so instead of failing the report."""
import json
import os
import re
import sys

out, dry, device, n, d, arch = sys.argv[1], sys.argv[2] == "1", sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
HBM_GBS = {"H200": 4800.0, "H100": 3350.0, "A100": 2039.0}  # datasheet peak HBM bandwidth, GB/s


def read(name):
    try:
        with open(os.path.join(out, name)) as f:
            return f.read()
    except OSError:
        return None


def load_json(name):
    text = read(name)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


steps = []
for line in (read("steps.tsv") or "").splitlines():
    parts = line.split("\t")
    if len(parts) >= 4:
        steps.append({"step": parts[0], "status": parts[1], "rc": parts[2], "seconds": int(parts[3] or 0),
                      "note": parts[4] if len(parts) > 4 else ""})
env = (read("logs/env.log") or "").strip()
gpu_name = env.splitlines()[0].split(",")[0].strip() if env else "unknown"
peak = float(os.environ["HBM_GBS"]) if os.environ.get("HBM_GBS") else next((v for k, v in HBM_GBS.items() if k in gpu_name), None)
result = {"dry_run": dry, "device": device, "gpu": gpu_name, "env": env, "hbm_peak_gbs": peak, "steps": steps}
md = [f"### GPU check {'(DRY RUN on the CPU: tiny sizes, PoCL, numbers are no result)' if dry else ''}".rstrip(), "",
      "```", env or "(no env output)", "```", "",
      "| step | status | rc | seconds | note |", "|---|---|---:|---:|---|"]
md += [f"| {s['step']} | {s['status']} | {s['rc']} | {s['seconds']} | {s['note'].replace('|', '/')[:120]} |" for s in steps]

tc_tests = load_json("tc_tests.json")
if tc_tests:
    result["tc_tests"] = {k: tc_tests[k] for k in ("passed", "failed", "skipped", "seconds")}
    result["tc_tests"]["failures"] = [t for t in tc_tests["tests"] if t["Result"] == "failed"]
    skipped = [t for t in tc_tests["tests"] if t["Result"] == "skipped"]
    md += ["", f"Tensor-core variants vs portable kernels (TensorCore tests): {tc_tests['passed']} passed, "
           f"{tc_tests['failed']} failed, {tc_tests['skipped']} skipped"
           + (f" (e.g. {(skipped[0]['Message'] or '').splitlines()[0][:160]})" if skipped else "")]
    md += [f"- FAILED {t['Name']}: {(t['Message'] or '').splitlines()[0][:200]}" for t in result["tc_tests"]["failures"]]

tests = load_json("tests.json")
if tests:
    result["tests"] = {k: tests[k] for k in ("passed", "failed", "skipped", "seconds")}
    result["tests"]["failures"] = [t for t in tests["tests"] if t["Result"] == "failed"]
    md += ["", f"CUDA trait: {tests['passed']} passed, {tests['failed']} failed, {tests['skipped']} skipped"]
    md += [f"- FAILED {t['Name']}: {(t['Message'] or '').splitlines()[0][:200]}" for t in result["tests"]["failures"]]

kernels = load_json("kernels.json")
if kernels:
    rows = kernels["rows"]
    result["kernels"] = kernels
    ms = sorted(r["CompileMs"] for r in rows)
    md += ["", f"Kernel builds ({kernels['name']}, {kernels['driver']}): {len(rows) - kernels['failed']} of {len(rows)} ok; "
           f"compile ms median {ms[len(ms) // 2]:.0f}, max {ms[-1]:.0f}"]
    md += [f"- FAILED {r['Kernel']} {r['Defines']}: {(r['Error'] or '').splitlines()[0][:200]}" for r in rows if not r["Ok"]]

engine = load_json("knn_engine.json") or []
torch_rows = []
for line in (read("knn_torch.jsonl") or "").splitlines():
    try:
        torch_rows.append(json.loads(line))
    except ValueError:
        pass
if engine or torch_rows:
    md += ["", f"k-NN, N={n:,} D={d}, engine fp16 storage vs torch {'fp16 ' if not dry else ''}matmul+topk"
           + (f"; % of {peak:.0f} GB/s HBM" if peak else ""),
           "", "| Q | k | engine ms | engine GB/s | engine % HBM | torch ms | torch GB/s | torch % HBM | engine / torch |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    knn = []
    keys = sorted({(r["Q"], r["K"]) for r in engine} | {(r["q"], r["k"]) for r in torch_rows if "q" in r})
    for q, k in keys:
        e = next((r for r in engine if r["Q"] == q and r["K"] == k), None)
        t = next((r for r in torch_rows if r.get("q") == q and r.get("k") == k), None)
        row = {"q": q, "k": k, "engine_ms": e and e["BestMs"], "engine_gbs": e and e["GBs"],
               "torch_ms": t and t["best_ms"], "torch_gbs": t and t["gbs"]}
        row["speedup"] = row["torch_ms"] / row["engine_ms"] if e and t else None
        knn.append(row)

        def f(v, fmt):
            return format(v, fmt) if v is not None else "–"

        pct = (lambda g: f(100 * g / peak, ".1f") + " %" if g is not None and peak else "–")
        md.append(f"| {q} | {k} | {f(row['engine_ms'], '.3f')} | {f(row['engine_gbs'], '.0f')} | {pct(row['engine_gbs'])} | "
                  f"{f(row['torch_ms'], '.3f')} | {f(row['torch_gbs'], '.0f')} | {pct(row['torch_gbs'])} | {f(row['speedup'], '.2f')}× |")
    result["knn"] = knn

def engine_ips(step):
    """{batch: images/s} from a `run-onnx --bench` log."""
    log = read(f"logs/{step}.log") or ""
    return {int(m.group(1)): float(m.group(2)) for m in re.finditer(r"^bench\s+batch\s+(\d+):\s+([\d.]+) images/s", log, re.M)}


def torch_ips(step):
    """{batch: images/s} from the 'batch B <images/s> <ms>' lines of a torch step."""
    log = read(f"logs/{step}.log") or ""
    return {int(m.group(1)): float(m.group(2)) for m in re.finditer(r"^batch (\d+) ([\d.]+)", log, re.M)}


eng, tor = engine_ips("cnn_engine"), torch_ips("cnn_torch")
if eng or tor:
    result["cnn_arch"] = arch
    result["cnn"] = [{"batch": b, "engine_img_s": eng.get(b), "torch_img_s": tor.get(b)} for b in sorted(set(eng) | set(tor))]
    md += ["", f"{arch} (random weights), engine --fp16-weights vs torch eager {'fp32 CPU' if dry else 'fp16 channels_last'}",
           "", "| batch | engine img/s | torch img/s | engine / torch |", "|---:|---:|---:|---:|"]
    for r in result["cnn"]:
        e, t = r["engine_img_s"], r["torch_img_s"]
        md.append(f"| {r['batch']} | {e if e is not None else '–'} | {t if t is not None else '–'} | {f'{e / t:.2f}×' if e and t else '–'} |")


def fmt(v):
    return f"{v:.1f}" if v is not None else "–"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


vit_arch = "vit_tiny (64×64, 2 layers)" if dry else "ViT-B/16"
torch_kind = "torch fp32 CPU" if dry else "torch eager fp16"
v32, v16, vtc, vt = engine_ips("vit_engine"), engine_ips("vit_engine_fp16"), engine_ips("tc_vit"), torch_ips("vit_torch")
if v32 or v16 or vtc or vt:
    result["vit"] = [{"batch": b, "engine_fp32_img_s": v32.get(b), "engine_fp16_img_s": v16.get(b), "engine_tc_img_s": vtc.get(b),
                      "torch_img_s": vt.get(b)} for b in sorted(set(v32) | set(v16) | set(vtc) | set(vt))]
    md += ["", f"{vit_arch} (random weights): engine fp32, engine --fp16-weights, engine fp32 with GPUSEARCH_TENSOR_CORES=1, {torch_kind}",
           "", "| batch | engine fp32 img/s | engine fp16 img/s | engine TC img/s | torch img/s | best engine / torch |",
           "|---:|---:|---:|---:|---:|---:|"]
    for r in result["vit"]:
        best = max((x for x in (r["engine_fp32_img_s"], r["engine_fp16_img_s"], r["engine_tc_img_s"]) if x), default=None)
        md.append(f"| {r['batch']} | {fmt(r['engine_fp32_img_s'])} | {fmt(r['engine_fp16_img_s'])} | {fmt(r['engine_tc_img_s'])} | "
                  f"{fmt(r['torch_img_s'])} | {ratio(best, r['torch_img_s'])} |")
else:
    md += ["", f"{vit_arch}: no numbers (see the vit_* steps)."]

tc_knn = load_json("tc_knn.json") or []
if tc_knn:
    result["tc_knn"] = tc_knn
    md += ["", "k-NN with GPUSEARCH_TENSOR_CORES=1 (fp16 storage, mma.sync dot products) vs the portable scan above",
           "", "| Q | k | portable ms | tensor cores ms | portable / TC |", "|---:|---:|---:|---:|---:|"]
    for r in tc_knn:
        base = next((e for e in engine if e["Q"] == r["Q"] and e["K"] == r["K"]), None)
        md.append(f"| {r['Q']} | {r['K']} | {base['BestMs'] if base else '–'} | {r['BestMs']:.3f} | "
                  f"{ratio(base and base['BestMs'], r['BestMs'])} |")

swin = next((st for st in steps if st["step"] == "swin_t"), None)
se, stt = engine_ips("swin_engine"), torch_ips("swin_torch")
if swin:
    result["swin_t"] = {"status": swin["status"], "note": swin["note"]}
    md += ["", f"Swin-T: {swin['status']}: {swin['note']}"]
elif se or stt:
    result["swin_t"] = [{"batch": b, "engine_img_s": se.get(b), "torch_img_s": stt.get(b)} for b in sorted(set(se) | set(stt))]
    md += ["", f"Swin-T (random weights): engine --fp16-weights vs {torch_kind}", "",
           "| batch | engine img/s | torch img/s | engine / torch |", "|---:|---:|---:|---:|"]
    md += [f"| {r['batch']} | {fmt(r['engine_img_s'])} | {fmt(r['torch_img_s'])} | {ratio(r['engine_img_s'], r['torch_img_s'])} |"
           for r in result["swin_t"]]

embed = load_json("embed.json")
if embed:
    result["embed"] = embed
    md += ["", f"Embed overlap ({embed['images']} images, batch {embed['batch']}): one batch at a time {embed['serial_images_per_s']:.1f} img/s, "
           f"next upload beside compute {embed['overlapped_images_per_s']:.1f} img/s ({embed['ratio']:.2f}×)"]
ingest = load_json("ingest.json")
if ingest:
    result["ingest"] = ingest
    ips = ingest["added"] / ingest["seconds"] if ingest.get("seconds") else None
    result["ingest"]["images_per_s"] = ips
    wall = next((s["seconds"] for s in steps if s["step"] == "ingest"), None)
    md += ["", f"Ingest (`gpusearch index`, generated JPEGs, {arch} random weights): {ingest['added']} added, {ingest['failed']} failed in "
           f"{ingest['seconds']:.1f} s = {ips:.1f} img/s" + (f" (process wall incl. start and model load: {wall} s)" if wall else "")]

tune = load_json("tune_scan.json")
if tune:
    result["tune_scan"] = tune
    md += ["", f"Scan tuning ({tune['device_class']}, quick): winner {tune['winner']} {tune['winner_ms']:.2f} ms vs shipped default "
           f"{tune['default']} {tune['default_ms'] or float('nan'):.2f} ms ({tune['speedup'] or float('nan'):.2f}×); "
           f"{sum(1 for c in tune['candidates'] if c['rejected'])} of {len(tune['candidates'])} candidates rejected"]

with open(os.path.join(out, "gpu-check.json"), "w") as fj:
    json.dump(result, fj, indent=1)
with open(os.path.join(out, "gpu-check.md"), "w") as fm:
    fm.write("\n".join(md) + "\n")
