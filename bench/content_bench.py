#!/usr/bin/env python3
"""Language-model signals in ranking: NDCG@10 with and without the item text
embeddings, on warm items and on cold items held out of training entirely.

For each dataset the script imports it into a fresh store, embeds every item's
text with the default embedder (`tailor embed-items`: multilingual-e5-small,
title + categories + tags + description + attributes), and then, in the same run:

  warm   the usual split (demo: per-user random 80/20; MovieLens: RecBole 8:1:1),
         hybrid with the embedding source off (`use_embedding=false`) and on,
         twotower with and without text, and the best single models;
  cold   `--split cold_items`: a seeded 20 % of the items and every interaction
         with them go to test, so training never sees them; each user's list is
         ranked among those held-out items only (the cold-start protocol). Models
         that know items only from behaviour give them no score (NDCG 0).

    python3 bench/content_bench.py [--datasets demo ml-100k] [--threads 2]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TAILOR = REPO / "build" / "src" / "cli" / "tailor"
FORMATS = {"demo": ("tailor", REPO / "data" / "demo"), "ml-100k": ("movielens-100k", None),
           "ml-latest-small": ("movielens-latest", None)}
WARM_SPLIT = {"demo": ["--split", "random", "--test-fraction", "0.2"], "ml-100k": ["--split", "recbole"],
              "ml-latest-small": ["--split", "recbole"]}
WARM_MODELS = [("als", []), ("ease", []), ("hybrid", ["use_embedding=false"]), ("hybrid", []),
               ("twotower", ["use_text=false"]), ("twotower", [])]
COLD_MODELS = [("popular", []), ("itemknn", []), ("als", []), ("bm25", []),
               ("hybrid", ["use_embedding=false"]), ("hybrid", []), ("hybrid", ["cold_fill_embedding=true"]),
               ("twotower", ["use_text=false"]), ("twotower", [])]


def tailor(*args):
    out = subprocess.run([str(TAILOR), *map(str, args), "--json", "--quiet"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def label(model, params):
    return model + (" " + ",".join(params) if params else "")


def evaluate(db, model, params, split, seed):
    args = ["eval", "--db", db, "--model", model, *split, "--seed", seed, "--k", 10]
    args += [f"--param={p}" for p in params]
    try:
        return tailor(*args)
    except subprocess.CalledProcessError as e:
        return {"error": (e.stderr or "failed").strip().splitlines()[-1]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", default=["demo", "ml-100k"])
    ap.add_argument("--shared", default=str(REPO.parent / "shared" / "datasets"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json-out", default="")
    ap.add_argument("--keep", default="", help="keep the imported, embedded stores here and reuse them next run")
    args = ap.parse_args()
    os.environ["TAILOR_THREADS"] = str(args.threads)
    print(f"load before: {os.getloadavg()[0]:.2f}")
    everything = {}
    for name in args.datasets:
        fmt, path = FORMATS[name]
        path = path or Path(args.shared) / name
        with tempfile.TemporaryDirectory() as work:
            db = str(Path(args.keep or work) / f"{name}.db")
            if not Path(db).exists():
                Path(db).parent.mkdir(parents=True, exist_ok=True)
                subprocess.run([str(TAILOR), "import", "--db", db, "--format", fmt, str(path), "--quiet"], check=True,
                               capture_output=True)
            t0 = time.perf_counter()
            emb = tailor("embed-items", "--db", db)
            embed_s = time.perf_counter() - t0
            print(f"\n{name}: embedded {emb.get('items', '?')} items in {embed_s:.1f} s ({emb.get('model', '')})")
            rows = {}
            for part, split, models in (("warm", WARM_SPLIT[name], WARM_MODELS),
                                        ("cold", ["--split", "cold-items", "--test-fraction", "0.2"], COLD_MODELS)):
                print(f"{part}: {' '.join(split)} seed {args.seed}")
                print(f"  {'model':42} {'ndcg@10':>8} {'recall@10':>10} {'hit@10':>7} {'fit s':>7}")
                for model, params in models:
                    m = evaluate(db, model, params, split, args.seed)
                    rows[f"{part} {label(model, params)}"] = m
                    if "error" in m:
                        print(f"  {label(model, params):42} {m['error']}")
                        continue
                    print(f"  {label(model, params):42} {m['ndcg@10']:>8.4f} {m['recall@10']:>10.4f} "
                          f"{m['hit@10']:>7.4f} {m['fit_seconds']:>7.2f}")
            off, on = rows.get("warm hybrid use_embedding=false"), rows.get("warm hybrid")
            if off and on and "error" not in off and "error" not in on:
                print(f"warm hybrid NDCG@10 with / without embedding: {on['ndcg@10']:.4f} / {off['ndcg@10']:.4f} "
                      f"(ratio {on['ndcg@10'] / max(off['ndcg@10'], 1e-9):.3f})")
            everything[name] = rows
    print(f"\nload after: {os.getloadavg()[0]:.2f}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(everything, indent=2))


if __name__ == "__main__":
    main()
