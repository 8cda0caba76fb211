#!/usr/bin/env python3
"""Propensity AUC on UCI bank marketing: Tailor (xgboost, logistic) next to
scikit-learn's GradientBoostingClassifier and LogisticRegression on the same
split. Tailor writes its split (--split-out); scikit-learn trains on exactly
those rows. `duration` is dropped, as the dataset's documentation requires.

    python3 bench/propensity_bench.py [--tailor build/src/cli/tailor] [--csv FILE] [--seed 42]

Re-executes itself in ~/.cache/tailor/bench-venv (scikit-learn, numpy, pandas),
creating it when missing.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path.home() / ".cache" / "tailor" / "bench-venv"


def ensure_venv():
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import sklearn, numpy, pandas"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "scikit-learn", "numpy", "pandas"], check=True)
    os.execv(str(python), [str(python), __file__] + sys.argv[1:])


def run_tailor(binary, csv, model, seed, split_out):
    cmd = [binary, "propensity", "--csv", csv, "--label", "y", "--positive", "yes", "--drop", "duration",
           "--model", model, "--test-fraction", "0.2", "--seed", str(seed), "--split-out", split_out, "--json"]
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out), time.perf_counter() - start, " ".join(cmd)


def main():
    ensure_venv()
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    parser = argparse.ArgumentParser()
    parser.add_argument("--tailor", default=str(ROOT / "build" / "src" / "cli" / "tailor"))
    parser.add_argument("--csv", default=str(ROOT.parent / "shared" / "datasets" / "uci-bank-marketing" /
                                           "bank-additional-full.csv"))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        split_path = os.path.join(tmp, "split.json")
        for model in ("xgboost", "logistic"):
            result, seconds, cmd = run_tailor(args.tailor, args.csv, model, args.seed, split_path)
            rows.append((f"tailor {model}", result["auc"], seconds))
            print("$", cmd, file=sys.stderr)
        with open(split_path) as f:
            split = json.load(f)

    frame = pd.read_csv(args.csv, sep=";")
    y = (frame.pop("y") == "yes").astype(int).to_numpy()
    frame = frame.drop(columns=["duration"])
    x = pd.get_dummies(frame, dtype=float).to_numpy()
    train, test = np.array(split["train"]), np.array(split["test"])
    assert len(set(train) & set(test)) == 0 and len(train) + len(test) == len(y)

    start = time.perf_counter()
    gb = GradientBoostingClassifier(random_state=args.seed).fit(x[train], y[train])
    rows.append(("sklearn GradientBoosting", roc_auc_score(y[test], gb.predict_proba(x[test])[:, 1]),
                 time.perf_counter() - start))
    start = time.perf_counter()
    scaler = StandardScaler().fit(x[train])
    lr = LogisticRegression(max_iter=2000).fit(scaler.transform(x[train]), y[train])
    rows.append(("sklearn LogisticRegression", roc_auc_score(y[test], lr.predict_proba(scaler.transform(x[test]))[:, 1]),
                 time.perf_counter() - start))

    print(f"bank-additional-full, duration dropped, seed {args.seed}: {len(train)} train / {len(test)} test rows")
    print(f"{'model':<28} {'test AUC':>9} {'seconds':>8}")
    for name, auc, seconds in rows:
        print(f"{name:<28} {auc:9.4f} {seconds:8.2f}")
    best_tailor = max(auc for name, auc, _ in rows if name.startswith("tailor"))
    best_sklearn = max(auc for name, auc, _ in rows if name.startswith("sklearn"))
    print(f"gap (best tailor - best sklearn): {best_tailor - best_sklearn:+.4f} (goal >= -0.01)")


if __name__ == "__main__":
    main()
