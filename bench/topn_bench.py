#!/usr/bin/env python3
"""Top-N recommendation, Tailor against the peers, on one split in one run.

Protocol (RecBole's "RO" setting): all interactions, per-user random 8:1:1
train/validation/test (Tailor's `tailor split --split recbole`, seed 42),
models fit on train, full ranking over every item the user has not seen in
train or validation, metrics @10. The split is written to TSV files once and
every library trains on those same files; the peers' top-10 lists are scored by
`tailor eval --rankings`, i.e. by the very code that scores Tailor's models.

Peers (installed from PyPI into ~/.cache/tailor/bench-venv): implicit's ALS and
BPR, cornac's BPR. Also prints ALS seconds per iteration at 64 factors with the
same thread count for Tailor and implicit.

Sequential protocol (`--loo`, RecBole's for sequential models: order by time,
leave the latest interaction of each user out, full ranking over every item the
user has not seen): Tailor's models side by side on `--split leave_one_out`,
the deep ones (sasrec, twotower) next to today's best. No peer library runs
here; RecBole publishes no sequential numbers for the stored datasets (its
ml-1m tables need ratings.dat, which ../shared/datasets/ml-1m lacks).

    python3 bench/topn_bench.py [--datasets ml-100k ml-latest-small] [--threads 2] [--loo] [--no-peers]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = Path.home() / ".cache" / "tailor" / "bench-venv"
PEER_PACKAGES = ["numpy", "scipy", "implicit==0.7.3", "cornac==3.0.1", "threadpoolctl"]


def ensure_venv():
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(py), "-c", "import implicit, cornac"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True)
    return py


# The peer side runs inside the venv: it reads the split TSVs, trains, and
# writes top-k rankings (unseen items only) plus timings as JSON.
PEER_SCRIPT = r'''
import json, sys, time, os
import numpy as np, scipy.sparse as sp
split_dir, out_dir, threads, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def read(name):
    rows = []
    with open(os.path.join(split_dir, name), encoding="utf-8") as f:
        next(f)
        for line in f:
            u, i, *_ = line.rstrip("\n").split("\t")
            rows.append((u, i))
    return rows
train, valid = read("train.tsv"), read("valid.tsv")
users = sorted({u for u, _ in train + valid})
items = sorted({i for _, i in train})
uix = {u: n for n, u in enumerate(users)}; iix = {i: n for n, i in enumerate(items)}
ui = sp.csr_matrix((np.ones(len(train), dtype=np.float32),
                    ([uix[u] for u, _ in train], [iix[i] for _, i in train])), shape=(len(users), len(items)))
ui.sum_duplicates(); ui.data[:] = 1
seen = ui.tolil()
for u, i in valid:
    if i in iix: seen[uix[u], iix[i]] = 1
seen = seen.tocsr()
results = {}
def write_rankings(name, scores_fn):
    path = os.path.join(out_dir, name + ".tsv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("user_id\titem_id\n")
        for start in range(0, len(users), 512):
            block = np.arange(start, min(start + 512, len(users)))
            scores = scores_fn(block)
            mask = seen[block].toarray() > 0
            scores[mask] = -np.inf
            top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
            for row, u in enumerate(block):
                for i in top[row]:
                    if np.isfinite(scores[row, i]):
                        f.write(f"{users[u]}\t{items[i]}\n")
    return path
from threadpoolctl import threadpool_limits
with threadpool_limits(limits=1, user_api="blas"):  # implicit asks for a single-threaded BLAS
    import implicit
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.cpu.bpr import BayesianPersonalizedRanking
    als = AlternatingLeastSquares(factors=64, regularization=0.05, alpha=2.0, iterations=15,
                                  num_threads=threads, random_state=42, calculate_training_loss=False)
    t0 = time.perf_counter(); als.fit(ui, show_progress=False); t = time.perf_counter() - t0
    results["implicit-als"] = {"fit_seconds": t, "seconds_per_iteration": t / 15,
                               "rankings": write_rankings("implicit-als",
                                   lambda b: np.asarray(als.user_factors[b] @ als.item_factors.T))}
    # The same objective and hyper-parameters as Tailor's als defaults
    # (confidence 1 + 3·w, λ = 30, 64 factors, 15 iterations, CG solver: implicit runs 3 CG steps).
    als2 = AlternatingLeastSquares(factors=64, regularization=30.0, alpha=3.0, iterations=15, use_cg=True,
                                   num_threads=threads, random_state=42, calculate_training_loss=False)
    t0 = time.perf_counter(); als2.fit(ui, show_progress=False); t = time.perf_counter() - t0
    results["implicit-als-same-params"] = {"fit_seconds": t, "seconds_per_iteration": t / 15,
        "rankings": write_rankings("implicit-als-same-params",
                                   lambda b: np.asarray(als2.user_factors[b] @ als2.item_factors.T))}
    bpr = BayesianPersonalizedRanking(factors=64, learning_rate=0.01, regularization=0.01, iterations=100,
                                      num_threads=threads, random_state=42)
    t0 = time.perf_counter(); bpr.fit(ui, show_progress=False); t = time.perf_counter() - t0
    results["implicit-bpr"] = {"fit_seconds": t, "rankings": write_rankings("implicit-bpr",
                               lambda b: np.asarray(bpr.user_factors[b] @ bpr.item_factors.T))}
    import cornac
    from cornac.data import Dataset as CDataset
    triples = [(u, i, 1.0) for u, i in train]
    cdata = CDataset.from_uir(triples, seed=42)
    cbpr = cornac.models.BPR(k=64, max_iter=200, learning_rate=0.01, lambda_reg=0.01, seed=42, verbose=False)
    t0 = time.perf_counter(); cbpr.fit(cdata); t = time.perf_counter() - t0
    cu = np.array([cdata.uid_map.get(u, -1) for u in users]); ci = np.array([cdata.iid_map.get(i, -1) for i in items])
    def cornac_scores(b):
        out = np.full((len(b), len(items)), -np.inf, dtype=np.float64)
        for row, u in enumerate(b):
            if cu[u] < 0: continue
            s = cbpr.score(int(cu[u]))
            ok = ci >= 0
            out[row, ok] = s[ci[ok]]
        return out
    results["cornac-bpr"] = {"fit_seconds": t, "rankings": write_rankings("cornac-bpr", cornac_scores)}
json.dump(results, open(os.path.join(out_dir, "peers.json"), "w"))
'''


def tailor(*args):
    out = subprocess.run([str(REPO / "build" / "src" / "cli" / "tailor"), *map(str, args), "--json", "--quiet"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


DATASET_FORMATS = {"ml-100k": "movielens-100k", "ml-latest-small": "movielens-latest"}
TAILOR_MODELS = ["popular", "itemknn", "userknn", "rp3beta", "ease", "als", "bpr", "bm25", "hybrid", "sasrec",
                 "twotower"]
LOO_MODELS = ["popular", "itemknn", "userknn", "ease", "als", "hybrid", "sasrec", "twotower"]
ALS_PARAMS = ["factors=64", "iterations=15", "alpha=3", "regularization=30", "cg_steps=3"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", default=list(DATASET_FORMATS))
    ap.add_argument("--shared", default=str(REPO.parent / "shared" / "datasets"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json-out", default="")
    ap.add_argument("--loo", action="store_true", help="also run the leave-one-out (sequential) protocol")
    ap.add_argument("--no-peers", action="store_true", help="Tailor's models only (no venv, no peers)")
    ap.add_argument("--models", nargs="+", default=TAILOR_MODELS, help="Tailor models on the RecBole split")
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f}")
    py = None if args.no_peers else ensure_venv()
    # implicit runs its own threads; its docs ask for a single-threaded BLAS underneath.
    env = dict(os.environ, TAILOR_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads),
               OPENBLAS_NUM_THREADS="1")
    os.environ.update(env)
    known = set(subprocess.run([str(REPO / "build" / "src" / "cli" / "tailor"), "eval", "--help"],
                               capture_output=True, text=True).stdout.split())
    everything = {}
    for name in args.datasets:
        with tempfile.TemporaryDirectory() as work:
            db, split_dir = Path(work) / "d.db", Path(work) / "split"
            subprocess.run([str(REPO / "build" / "src" / "cli" / "tailor"), "import", "--db", str(db), "--format",
                            DATASET_FORMATS[name], str(Path(args.shared) / name), "--quiet"], check=True,
                           capture_output=True)
            sizes = tailor("split", "--db", db, "--split", "recbole", "--seed", 42, "--out", split_dir)
            rows = []
            for model in args.models:
                params = [f"--param={p}" for p in (ALS_PARAMS if model == "als" else [])]
                try:
                    m = tailor("eval", "--db", db, "--model", model, "--split-dir", split_dir, "--k", 10, *params)
                except subprocess.CalledProcessError as e:
                    rows.append((f"tailor {model}", None, e.stderr.strip().splitlines()[-1] if e.stderr else "failed"))
                    continue
                rows.append((f"tailor {model}", m, ""))
            peer_dir = Path(work) / "peers"
            peer_dir.mkdir()
            peers = {}
            if py is not None:
                subprocess.run([str(py), "-c", PEER_SCRIPT, str(split_dir), str(peer_dir), str(args.threads), "10"],
                               check=True, env=env)
                peers = json.loads((peer_dir / "peers.json").read_text())
            for peer, info in peers.items():
                m = tailor("eval", "--db", db, "--split-dir", split_dir, "--rankings", info["rankings"], "--k", 10)
                m["fit_seconds"] = info["fit_seconds"]
                rows.append((peer, m, ""))
            print(f"\n{name}: RecBole split seed 42 — train {sizes['train']:,} / valid {sizes['validation']:,} / "
                  f"test {sizes['test']:,}, {sizes['users']} users, {sizes['items']} items, {args.threads} threads")
            print(f"{'model':20} {'recall@10':>10} {'ndcg@10':>8} {'mrr':>7} {'hit@10':>7} {'fit s':>8}")
            for label, m, note in rows:
                if m is None:
                    print(f"{label:20} {note}")
                    continue
                print(f"{label:20} {m['recall@10']:>10.4f} {m['ndcg@10']:>8.4f} {m['mrr']:>7.4f} {m['hit@10']:>7.4f} "
                      f"{m['fit_seconds']:>8.2f}")
            best_tailor = max((m["ndcg@10"], l) for l, m, _ in rows if m and l.startswith("tailor"))
            best_peer = max(((m["ndcg@10"], l) for l, m, _ in rows if m and not l.startswith("tailor")), default=None)
            if best_peer:
                print(f"best Tailor {best_tailor[1]} {best_tailor[0]:.4f} vs best peer {best_peer[1]} "
                      f"{best_peer[0]:.4f}: ratio {best_tailor[0] / best_peer[0]:.3f}")
            als = next((m for l, m, _ in rows if l == "tailor als" and m), None)
            if als and peers:
                per_iter = als["fit_seconds"] / 15
                peer_iter = peers["implicit-als-same-params"]["seconds_per_iteration"]
                peer_ndcg = next(m for l, m, _ in rows if l == "implicit-als-same-params")["ndcg@10"]
                print(f"ALS 64 factors, same params, seconds per iteration: tailor {per_iter:.4f}, implicit "
                      f"{peer_iter:.4f}, ratio {per_iter / peer_iter:.2f} (goal <= 0.75); NDCG@10 tailor "
                      f"{als['ndcg@10']:.4f} vs implicit {peer_ndcg:.4f}")
            everything[name] = {label: m for label, m, _ in rows if m}
            if args.loo:
                print(f"\n{name}: leave-one-out (latest interaction per user), full ranking, @10")
                print(f"{'model':20} {'recall@10':>10} {'ndcg@10':>8} {'mrr':>7} {'fit s':>8}")
                for model in LOO_MODELS:
                    try:
                        m = tailor("eval", "--db", db, "--model", model, "--split", "leave-one-out", "--seed", 42,
                                   "--k", 10)
                    except subprocess.CalledProcessError as e:
                        print(f"{model:20} {e.stderr.strip().splitlines()[-1] if e.stderr else 'failed'}")
                        continue
                    everything[name][f"loo tailor {model}"] = m
                    print(f"{'tailor ' + model:20} {m['recall@10']:>10.4f} {m['ndcg@10']:>8.4f} {m['mrr']:>7.4f} "
                          f"{m['fit_seconds']:>8.2f}")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(everything, indent=2))


if __name__ == "__main__":
    main()
