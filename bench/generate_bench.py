#!/usr/bin/env python3
"""Generation speed: `tailor generate` against llama.cpp's own `llama-bench`
on the same GGUF (SmolLM2-135M-Instruct Q4_1 from the model cache) with the
same thread count, in the same run.

`tailor generate --json` reports completion_tokens and the seconds of prompt
+ generation (model load excluded), so its rate is completion tokens per
second of prompt + generation, sampling included (greedy here). llama-bench's
matching test is `-pg P,N`: a P-token prompt then N generated tokens, timed
together, with P and N taken from tailor's own run; its plain `-n N` rate
(generation alone, no sampling) is printed too. Ratio goal >= 0.9x.

Each side runs --runs times and its best run counts (llama-bench: its best
sample): on a machine shared with other work, two llama.cpp threads that lose
their core to another process wait on each other, so single runs swing by 5x;
the best run is the one closest to an idle machine. The load average is printed.
As a second, contention-proof measure both sides are also charged their CPU
time (user + sys of the process, model load included, llama-bench run with
--no-warmup): generated tokens per CPU-second, and that ratio.

llama-bench is built once from the pinned llama.cpp source tree that
scripts/build_llama.sh keeps, with the same GGML flags (its --print-flags:
the CPU tier it detected), into ~/.cache/tailor/llama.cpp/<pin>/bench-build (only the
llama-bench target; it needs llama.cpp's `common` library, which Tailor
itself never links).

    python3 bench/generate_bench.py [--tailor build/src/cli/tailor] [--threads 2] [--tokens 128] [--runs 3]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("TAILOR_CACHE", Path.home() / ".cache" / "tailor"))
MODELS = Path(os.environ.get("TAILOR_MODELS") or Path.home() / ".cache" / "tailor" / "models")
GGUF = MODELS / "smollm2-135m-instruct.gguf"
PROMPT = ("Write a long, detailed story about a small cat who travels around the world, "
          "visiting many cities and meeting new friends in each one.")


def ensure_llama_bench() -> Path:
    # build_llama.sh is idempotent and prints the install prefix of the pinned
    # build; the llama.cpp tree it unpacked sits beside it in source/.
    out = subprocess.run(["bash", str(REPO / "scripts" / "build_llama.sh")], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    root = Path(out.strip().splitlines()[-1]).parent
    src = root / "source"
    build = root / "bench-build"
    exe = build / "bin" / "llama-bench"
    if exe.exists():
        return exe
    # the GGML flags of the library Tailor links, so both sides run the same kernels
    ggml_flags = subprocess.run(["bash", str(REPO / "scripts" / "build_llama.sh"), "--print-flags"], check=True,
                                stdout=subprocess.PIPE, text=True).stdout.split()
    launcher = []
    if shutil.which("ccache"):
        launcher = ["-DCMAKE_C_COMPILER_LAUNCHER=ccache", "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
    print(f"generate_bench: building llama-bench in {build} (once)", file=sys.stderr)
    subprocess.run(["cmake", "-S", str(src), "-B", str(build), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                    *launcher, "-DBUILD_SHARED_LIBS=ON", "-DCMAKE_POSITION_INDEPENDENT_CODE=ON", *ggml_flags,
                    "-DLLAMA_BUILD_COMMON=ON", "-DLLAMA_BUILD_TOOLS=ON", "-DLLAMA_BUILD_TESTS=OFF",
                    "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_BUILD_APP=OFF",
                    "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF"], check=True, stdout=subprocess.DEVNULL)
    jobs = os.environ.get("TAILOR_BENCH_JOBS", "2")
    subprocess.run(["cmake", "--build", str(build), "--target", "llama-bench", "-j", jobs], check=True,
                   stdout=subprocess.DEVNULL)
    return exe


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_tailor(tailor: str, threads: int, tokens: int) -> dict:
    cmd = [tailor, "generate", "--json", "--generator-model", str(GGUF), "--prompt", PROMPT,
           "--max-tokens", str(tokens), "--temperature", "0", "--llm-threads", str(threads)]
    cpu = child_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    cpu = child_cpu() - cpu
    if proc.returncode != 0:
        sys.exit(f"generate_bench: tailor generate failed: {proc.stderr}{proc.stdout[:2000]}")
    doc = json.loads(proc.stdout)
    doc["cpu"] = cpu
    return doc


def run_llama_bench(exe: Path, threads: int, prompt: int, gen: int, runs: int) -> dict:
    cmd = [str(exe), "-m", str(GGUF), "-t", str(threads), "-p", "0", "-n", str(gen), "-pg", f"{prompt},{gen}",
           "-r", str(runs), "-o", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"generate_bench: llama-bench failed: {proc.stderr[-3000:]}")
    # the same -pg test alone, one run per process (model load included, as
    # for tailor), without warm-up, for its CPU time
    cpus = []
    for _ in range(runs):
        cpu = child_cpu()
        subprocess.run([str(exe), "-m", str(GGUF), "-t", str(threads), "-p", "0", "-n", "0", "-pg", f"{prompt},{gen}",
                        "-r", "1", "--no-warmup", "-o", "json"], capture_output=True, check=True)
        cpus.append(child_cpu() - cpu)
    results = {"pg_cpu": min(cpus)}
    for row in json.loads(proc.stdout):
        key = "pg" if row["n_prompt"] > 0 and row["n_gen"] > 0 else "tg"
        results[key] = row
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tailor", default=os.environ.get("TAILOR_BIN", str(REPO / "build" / "src" / "cli" / "tailor")))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=128, help="tokens to generate")
    ap.add_argument("--runs", type=int, default=3, help="repetitions per side")
    args = ap.parse_args()
    if not os.access(args.tailor, os.X_OK):
        sys.exit(f"generate_bench: tailor binary not found at {args.tailor} (--tailor or TAILOR_BIN)")
    subprocess.run(["bash", str(REPO / "scripts" / "fetch_models.sh")], check=True)
    exe = ensure_llama_bench()

    runs = [run_tailor(args.tailor, args.threads, args.tokens) for _ in range(args.runs)]
    prompt_tokens = runs[0]["prompt_tokens"]
    completion = min(r["completion_tokens"] for r in runs)
    rates = [r["completion_tokens"] / r["seconds"] for r in runs]
    ours = max(rates)
    print(f"load average: {os.getloadavg()[0]:.1f} (on {os.cpu_count()} cores)")
    print(f"model: {GGUF.name}; {args.threads} threads; prompt {prompt_tokens} tokens, "
          f"{completion}..{max(r['completion_tokens'] for r in runs)} generated (max {args.tokens}), "
          f"{args.runs} runs per side")
    print(f"tailor generate:              {ours:7.1f} tokens/s (best; runs {', '.join(f'{r:.1f}' for r in rates)})")

    bench = run_llama_bench(exe, args.threads, prompt_tokens, completion, args.runs)
    pg_ns = min(bench["pg"]["samples_ns"])
    pg_rate = completion / (pg_ns / 1e9)
    tg_rate = max(bench["tg"]["samples_ts"])
    print(f"llama-bench -pg {prompt_tokens},{completion}:   {pg_rate:7.1f} generated tokens/s "
          f"(best; prompt + generation, samples {', '.join(f'{ns / 1e6:.0f}' for ns in bench['pg']['samples_ns'])} ms)")
    print(f"llama-bench -n {completion} (tg only):  {tg_rate:7.1f} tokens/s (best; samples "
          f"{', '.join(f'{ts:.1f}' for ts in bench['tg']['samples_ts'])})")
    ours_cpu = completion / min(r["cpu"] for r in runs)
    theirs_cpu = completion / bench["pg_cpu"]
    print(f"per CPU-second: tailor {ours_cpu:.1f}, llama-bench -pg {theirs_cpu:.1f} generated tokens "
          f"(ratio {ours_cpu / theirs_cpu:.2f}x)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"ratio tailor / llama-bench (-pg): {ours / pg_rate:.2f}x (goal >= 0.9x); "
          f"against tg only: {ours / tg_rate:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
