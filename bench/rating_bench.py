#!/usr/bin/env python3
"""Rating prediction on ml-100k: Tailor's baseline, svd and svdpp against
scikit-surprise (BaselineOnly, SVD, SVD++) on the very same 5 folds, in one run.

Protocol (Surprise's README benchmark): all 100,000 ratings of u.data, 5-fold
CV with surprise.model_selection.KFold(n_splits=5, random_state=0) (random
rating-level folds); RMSE / MAE of clipped predictions, mean over folds.
The folds are written to files here and fed to bench/rating_folds (a small
driver over Tailor's model API), so both libraries fit and test the same
ratings. Fit time is the mean per fold (Tailor: the model's fit(); Surprise:
algo.fit()); test time is not counted on either side. Tailor's SGD is
single-threaded, like Surprise's.

Rows: Surprise with its defaults (random_state=0); Tailor with Surprise's
defaults (the same algorithm and knobs; our shuffle order and initial draws
differ); Tailor with its own tuned defaults (200 factors, small init, early
stopping on 10 % of the training ratings; see src/model/svd.cc, svdpp.cc).
"vs Surprise" divides by the Surprise row of the same algorithm.

    python3 bench/rating_bench.py [--venv ~/.cache/tailor/bench-venv] [--build build]

The venv is created and scikit-surprise + numpy installed into it when
missing (any venv with them works, e.g. --venv /tmp/peervenv). The driver is
built with CMake + Ninja in --build when it is not there yet.
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
DEFAULT_VENV = Path.home() / ".cache" / "tailor" / "bench-venv"

# Surprise's defaults in Tailor's parameter names (validation_fraction 0 = a
# fixed number of epochs, as Surprise).
SURPRISE_SVD = {"factors": 100, "epochs": 20, "lr_all": 0.005, "reg_all": 0.02, "init_std": 0.1,
                "validation_fraction": 0}
SURPRISE_SVDPP = {"factors": 20, "epochs": 20, "lr_all": 0.007, "reg_all": 0.02, "init_std": 0.1,
                  "validation_fraction": 0}


def ensure_venv(venv):
    """Re-executes this script under a Python that has surprise and numpy."""
    try:
        import numpy  # noqa: F401
        import surprise  # noqa: F401
        return
    except ImportError:
        pass
    python = venv / "bin" / "python"
    if os.environ.get("TAILOR_BENCH_REEXEC"):
        sys.exit(f"scikit-surprise / numpy still missing under {sys.executable}")
    if not python.exists():
        print(f"creating {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import surprise, numpy"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "numpy", "scikit-surprise"], check=True)
    env = dict(os.environ, TAILOR_BENCH_REEXEC="1")
    os.execve(str(python), [str(python), __file__] + sys.argv[1:], env)


def ensure_driver(build):
    driver = build / "bench" / "rating_folds"
    if driver.exists():
        refresh = subprocess.run(["ninja", "-C", str(build), "rating_folds"], capture_output=True, text=True)
        if refresh.returncode != 0:
            print(f"warning: could not rebuild {driver}; using the existing binary\n{refresh.stdout[-2000:]}",
                  file=sys.stderr)
        return driver
    if not (build / "build.ninja").exists():
        subprocess.run(["cmake", "-S", str(REPO), "-B", str(build), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                        "-DTAILOR_BUILD_TESTS=OFF"], check=True, capture_output=True)
    subprocess.run(["ninja", "-C", str(build), "rating_folds"], check=True)
    if not driver.exists():
        sys.exit(f"{driver} was not built: Google Benchmark (TAILOR_BUILD_BENCH) is needed for bench/")
    return driver


def write_folds(data, folds_dir):
    """Surprise's KFold(random_state=0) folds as fold<K>.train / fold<K>.test
    files of raw "user<TAB>item" pairs; returns the (trainset, testset) list."""
    from surprise.model_selection import KFold

    folds = list(KFold(n_splits=5, random_state=0, shuffle=True).split(data))
    for k, (trainset, testset) in enumerate(folds):
        with open(folds_dir / f"fold{k}.train", "w") as f:
            for u, i, _ in trainset.all_ratings():
                f.write(f"{trainset.to_raw_uid(u)}\t{trainset.to_raw_iid(i)}\n")
        with open(folds_dir / f"fold{k}.test", "w") as f:
            for u, i, _ in testset:
                f.write(f"{u}\t{i}\n")
    return folds


def run_surprise(label, make, folds):
    from surprise import accuracy

    rmse, mae, fit = [], [], []
    for trainset, testset in folds:
        algo = make()
        start = time.perf_counter()
        algo.fit(trainset)
        fit.append(time.perf_counter() - start)
        predictions = algo.test(testset)
        rmse.append(accuracy.rmse(predictions, verbose=False))
        mae.append(accuracy.mae(predictions, verbose=False))
    print(f"  {label}: done", file=sys.stderr)
    return mean(rmse), mean(mae), mean(fit)


def run_tailor(driver, ratings, folds_dir, model, params):
    out = subprocess.run([str(driver), "--ratings", str(ratings), "--folds", str(folds_dir), "--model", model,
                          "--params", json.dumps(params)], check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 5 and all(r["rated"] == r["test"] for r in rows), rows
    assert sum(r["test"] for r in rows) == 100000
    print(f"  tailor {model} {json.dumps(params)}: done", file=sys.stderr)
    return mean([r["rmse"] for r in rows]), mean([r["mae"] for r in rows]), mean([r["fit_seconds"] for r in rows])


def mean(xs):
    return sum(xs) / len(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    ap.add_argument("--build", type=Path, default=REPO / "build")
    ap.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--skip-svdpp-peer", action="store_true", help="leave out Surprise SVD++ (minutes)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args()
    ensure_venv(args.venv.expanduser())

    import random

    import numpy as np
    from surprise import SVD, BaselineOnly, Dataset, Reader, SVDpp

    ratings = args.datasets / "ml-100k" / "u.data"
    driver = ensure_driver(args.build)
    random.seed(0)
    np.random.seed(0)
    data = Dataset.load_from_file(str(ratings), reader=Reader(line_format="user item rating timestamp", sep="\t"))

    rows = []  # (label, algorithm, side, rmse, mae, fit seconds)
    with tempfile.TemporaryDirectory() as tmp:
        folds_dir = Path(tmp)
        folds = write_folds(data, folds_dir)
        peers = [("Surprise BaselineOnly", "baseline", lambda: BaselineOnly(verbose=False)),
                 ("Surprise SVD", "svd", lambda: SVD(random_state=0)),
                 ("Surprise SVD++", "svdpp", lambda: SVDpp(random_state=0, cache_ratings=True))]
        for label, algorithm, make in peers:
            if algorithm == "svdpp" and args.skip_svdpp_peer:
                continue
            rows.append((label, algorithm, "surprise") + run_surprise(label, make, folds))
        ours = [("Tailor baseline", "baseline", "baseline", {}),
                ("Tailor svd, Surprise defaults", "svd", "svd", SURPRISE_SVD),
                ("Tailor svdpp, Surprise defaults", "svdpp", "svdpp", SURPRISE_SVDPP),
                ("Tailor svd (tuned defaults)", "svd", "svd", {}),
                ("Tailor svdpp (tuned defaults)", "svdpp", "svdpp", {})]
        for label, algorithm, model, params in ours:
            rows.append((label, algorithm, "tailor") + run_tailor(driver, ratings, folds_dir, model, params))

    peer = {algorithm: (rmse, fit) for _, algorithm, side, rmse, _, fit in rows if side == "surprise"}
    print(f"\nml-100k, 5-fold CV on Surprise's KFold(random_state=0) folds (the same 100,000 ratings for all)")
    header = f"{'model':34} {'RMSE':>7} {'MAE':>7} {'fit s/fold':>11} {'RMSE vs Surprise':>17} {'fit time vs Surprise':>21}"
    print(header)
    print("-" * len(header))
    for label, algorithm, side, rmse, mae, fit in rows:
        ratio_rmse = ratio_fit = ""
        if side == "tailor" and algorithm in peer:
            ratio_rmse = f"{rmse / peer[algorithm][0]:.3f}"
            ratio_fit = f"{fit / peer[algorithm][1]:.2f}x"
        print(f"{label:34} {rmse:7.4f} {mae:7.4f} {fit:11.3f} {ratio_rmse:>17} {ratio_fit:>21}")
    if args.json:
        args.json.write_text(json.dumps([dict(zip(("label", "algorithm", "side", "rmse", "mae", "fit_seconds"), r))
                                         for r in rows], indent=1))


if __name__ == "__main__":
    main()
