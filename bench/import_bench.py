#!/usr/bin/env python3
"""Bulk import throughput: `tailor import` (parse + clean + dedupe + SQLite
write, one durable transaction) against the sqlite3 shell's `.import` of the
same CSV into a bare table (no cleaning, no dedupe, no index) as the peer.

Data: ml-latest-small ratings.csv (100,836 rows) and a 1,000,000-row CSV with
the same columns and a similar user/item distribution, generated here.

    python3 bench/import_bench.py [--tailor build/src/cli/tailor] [--repeat 5]
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        times.append(fn())
    return min(times), sorted(times)[len(times) // 2]


def tailor_import(tailor, csv_path, workdir):
    db = Path(workdir) / "t.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    start = time.perf_counter()
    out = subprocess.run([tailor, "import", "--db", str(db), "--format", "csv", "--map",
                          "user=userId,item=movieId,value=rating,timestamp=timestamp", "--type", "rating",
                          str(csv_path), "--json"], check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    report = json.loads(out.stdout)
    return elapsed, report["events"]


def sqlite_import(csv_path, workdir):
    db = Path(workdir) / "s.db"
    db.unlink(missing_ok=True)
    script = (f"PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n"
              f"CREATE TABLE r(userId INT, movieId INT, rating REAL, timestamp INT);\n"
              f".mode csv\n.import --skip 1 {csv_path} r\n")
    start = time.perf_counter()
    subprocess.run(["sqlite3", str(db)], input=script, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def make_big_csv(path, rows, seed=1):
    rng = random.Random(seed)
    users, items = 6000, 20000
    with open(path, "w") as f:
        f.write("userId,movieId,rating,timestamp\n")
        n = 0
        user = 1
        while n < rows:
            count = min(rows - n, int(rng.paretovariate(1.2) * 20))
            picked = sorted({int(rng.paretovariate(0.8)) % items + 1 for _ in range(count)})
            ts = 964982703 + user * 1000
            for item in picked:
                f.write(f"{user},{item},{rng.randint(1, 10) / 2},{ts}\n")
                ts += rng.randint(1, 500)
            n += len(picked)
            user = user % users + 1 if len(picked) else user
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tailor", default=str(REPO / "build" / "src" / "cli" / "tailor"))
    ap.add_argument("--datasets", default=str(REPO.parent / "shared" / "datasets"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--big-rows", type=int, default=1_000_000)
    args = ap.parse_args()
    if not shutil.which("sqlite3"):
        sys.exit("sqlite3 shell not found (scripts/setup.sh installs it)")
    with tempfile.TemporaryDirectory() as work:
        inputs = [("ml-latest-small ratings.csv", Path(args.datasets) / "ml-latest-small" / "ratings.csv")]
        if args.big_rows:
            inputs.append((f"synthetic {args.big_rows:,} rows", make_big_csv(Path(work) / "big.csv", args.big_rows)))
        print(f"{'input':32} {'rows':>10} {'tailor s':>9} {'tailor ev/s':>12} {'sqlite3 s':>9} "
              f"{'sqlite3 rows/s':>14} {'ratio':>6}")
        for name, path in inputs:
            events = [0]

            def run_tailor():
                t, n = tailor_import(args.tailor, path, work)
                events[0] = n
                return t

            t_best, _ = best_of(args.repeat, run_tailor)
            s_best, _ = best_of(args.repeat, lambda: sqlite_import(path, work))
            rows = sum(1 for _ in open(path)) - 1
            print(f"{name:32} {rows:>10,} {t_best:>9.3f} {events[0] / t_best:>12,.0f} {s_best:>9.3f} "
                  f"{rows / s_best:>14,.0f} {s_best / t_best:>6.2f}")
        print("ratio = sqlite3 .import time / tailor import time (higher is better for tailor); "
              "best of", args.repeat, "runs, wall clock including process start")


if __name__ == "__main__":
    main()
