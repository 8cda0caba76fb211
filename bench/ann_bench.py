#!/usr/bin/env python3
"""ANN index: Tailor's FlatIndex and HnswIndex against hnswlib, same vectors, one run.

Writes one set of unit vectors (rows + queries, float32) to a file, runs
build-*/bench/ann_bench on it, then hnswlib (same M, efConstruction, ef values,
one thread, grown by appending like Tailor's graph) and prints, per catalogue
size: Tailor flat q/s, Tailor HNSW at the smallest ef with recall@10 >= 0.95,
hnswlib at its smallest such ef, and the ratios. hnswlib is installed into
~/.cache/tailor/bench-venv on first use.

    python3 bench/ann_bench.py [--bench build-ann/bench/ann_bench] [--sizes 1000,5000,...]
                               [--data clustered|uniform] [--queries 200]
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = Path.home() / ".cache" / "tailor" / "bench-venv"
PEER_PACKAGES = ["numpy", "hnswlib==0.8.0"]


def ensure_venv():
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if subprocess.run([str(py), "-c", "import numpy, hnswlib"], capture_output=True).returncode != 0:
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True)
    return py


# Runs inside the venv: writes the vectors (mode "write") or benchmarks
# hnswlib on them (mode "peer"), printing JSON lines.
PEER_SCRIPT = r'''
import json, sys, time
import numpy as np
mode, path = sys.argv[1], sys.argv[2]
if mode == "write":
    n, nq, dim, clusters, seed, data = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
    rng = np.random.default_rng(seed)
    if data == "uniform":
        x = rng.standard_normal((n + nq, dim), dtype=np.float32)
    else:  # gaussian mixture around random unit centres, spread 0.04 per coordinate
        c = rng.standard_normal((clusters, dim), dtype=np.float32)
        c /= np.linalg.norm(c, axis=1, keepdims=True)
        x = c[rng.integers(0, clusters, n + nq)] + 0.04 * rng.standard_normal((n + nq, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    with open(path, "wb") as f:
        f.write(b"TVEC" + np.array([n, nq, dim], dtype="<u4").tobytes())
        f.write(x[:n].astype("<f4").tobytes()); f.write(x[n:].astype("<f4").tobytes())
    sys.exit(0)
import hnswlib
sizes, efs, k, m, efc = json.loads(sys.argv[3]), json.loads(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
with open(path, "rb") as f:
    n, nq, dim = np.frombuffer(f.read(16)[4:], dtype="<u4")
    rows = np.frombuffer(f.read(int(n) * int(dim) * 4), dtype="<f4").reshape(n, dim)
    queries = np.frombuffer(f.read(int(nq) * int(dim) * 4), dtype="<f4").reshape(nq, dim)
index = hnswlib.Index(space="ip", dim=int(dim))
index.init_index(max_elements=max(sizes), M=m, ef_construction=efc, random_seed=42)
index.set_num_threads(1)
built, build_s = 0, 0.0
for size in sizes:
    t = time.perf_counter(); index.add_items(rows[built:size], np.arange(built, size), num_threads=1)
    build_s += time.perf_counter() - t; built = size
    truth = np.argsort(-(queries @ rows[:size].T), axis=1)[:, :k]
    for ef in efs:
        index.set_ef(max(ef, k))
        best = 0.0
        for _ in range(3):
            t = time.perf_counter(); labels, _ = index.knn_query(queries, k=k, num_threads=1)
            best = max(best, len(queries) / (time.perf_counter() - t))
        recall = float(np.mean([len(set(labels[q]) & set(truth[q])) / k for q in range(len(queries))]))
        print(json.dumps({"rows": size, "ef": ef, "recall": recall, "hnsw_qps": best, "hnsw_build_s": build_s}), flush=True)
'''


def at_target(rows, target):
    """The first (smallest-ef) row reaching the recall target, else the best-recall row."""
    ok = [r for r in rows if r["recall"] >= target]
    return ok[0] if ok else max(rows, key=lambda r: r["recall"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=str(REPO / "build-ann" / "bench" / "ann_bench"))
    ap.add_argument("--sizes", default="1000,5000,10000,20000,50000,100000")
    ap.add_argument("--efs", default="16,32,64,128,256,512")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--data", default="clustered", choices=["clustered", "uniform"])
    ap.add_argument("--clusters", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--target", type=float, default=0.95)
    args = ap.parse_args()
    py = ensure_venv()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    efs = [int(e) for e in args.efs.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        vec = Path(tmp) / "vectors.tvec"
        out = Path(tmp) / "tailor.jsonl"
        subprocess.run([str(py), "-c", PEER_SCRIPT, "write", str(vec), str(max(sizes)), str(args.queries),
                        str(args.dim), str(args.clusters), str(args.seed), args.data], check=True)
        t0 = time.time()
        subprocess.run([args.bench, "--vectors", str(vec), "--sizes", args.sizes, "--efs", args.efs,
                        "--k", str(args.k), "--m", str(args.m), "--ef-construction", str(args.ef_construction),
                        "--json", str(out)], check=True)
        print(f"(tailor: {time.time() - t0:.0f} s)\n", flush=True)
        tailor = [json.loads(line) for line in out.read_text().splitlines()]
        t0 = time.time()
        peer_run = subprocess.run([str(py), "-c", PEER_SCRIPT, "peer", str(vec), json.dumps(sizes), json.dumps(efs),
                                   str(args.k), str(args.m), str(args.ef_construction)],
                                  check=True, capture_output=True, text=True)
        peer = [json.loads(line) for line in peer_run.stdout.splitlines()]
        print(f"(hnswlib: {time.time() - t0:.0f} s)\n")
    print(f"recall target {args.target} at k={args.k}; q/s single thread, one query per call (hnswlib: a "
          f"batch call on 1 thread); data {args.data}, dim {args.dim}, M {args.m}, efC {args.ef_construction}\n")
    print("| rows | flat q/s | tailor HNSW build s | ef | recall | HNSW q/s | HNSW/flat | hnswlib build s | ef | recall "
          "| hnswlib q/s | tailor/hnswlib q/s | build ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        t = at_target([r for r in tailor if r["rows"] == size], args.target)
        p = at_target([r for r in peer if r["rows"] == size], args.target)
        print(f"| {size:,} | {t['flat_qps']:.0f} | {t['hnsw_build_s']:.1f} | {t['ef']} | {t['recall']:.3f} | "
              f"{t['hnsw_qps']:.0f} | {t['hnsw_qps'] / t['flat_qps']:.2f}x | {p['hnsw_build_s']:.1f} | {p['ef']} | "
              f"{p['recall']:.3f} | {p['hnsw_qps']:.0f} | {t['hnsw_qps'] / p['hnsw_qps']:.2f} | "
              f"{t['hnsw_build_s'] / p['hnsw_build_s']:.2f} |")


if __name__ == "__main__":
    main()
