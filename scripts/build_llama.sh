#!/usr/bin/env bash
# Obtains and builds the pinned llama.cpp that Tailor's LLM layer links
# against, once per version, into a cache outside the repository:
#
#   ~/.cache/tailor/llama.cpp/<pin>/install/{include,lib,lib/cmake/llama}
#   ~/.cache/tailor/llama.cpp/<pin>/source    llama.cpp's tree (its vocab-only test
#                                             GGUFs and llama-bench are used by tests/bench)
#
# Source: the `llama-cpp-python` source distribution on PyPI, which carries
# llama.cpp's tree in vendor/llama.cpp (the only package registry route to it
# from these machines). Nothing of it is copied into the repository.
#
# Flags: GGML_NATIVE=OFF because a native build on AMX-capable CPUs segfaults
# on quantized models (upstream llama.cpp issue #20824). Instead the x86 level
# is chosen from /proc/cpuinfo of the machine that builds (the cache is per
# machine), never with AMX, as one of three tiers:
#
#   avx2        AVX2/FMA/F16C/BMI2 (x86-64-v3), the portable floor
#   avx512      + AVX-512 F/CD/VL/DQ/BW (Skylake-X)
#   avx512vnni  + AVX-512 VBMI/VNNI/BF16 (Ice Lake, Cooper Lake, Sapphire
#               Rapids, Zen 4): 1.5-1.6x the avx2 tier on multilingual-e5's
#               Q4_0 matrix products (docs/benchmarks.md)
#
# TAILOR_LLAMA_CPU=avx2|avx512|avx512vnni forces a tier (e.g. for an image
# built on one machine and run on another); TAILOR_LLAMA_CPU=auto (default)
# detects. Tailor checks at model load that the CPU has what the library was
# built for and says so instead of dying on an illegal instruction.
# Only the libraries (llama, ggml) are built: no tools, no examples, no
# `common` library (unstable API), no curl.
#
# Prints the install prefix on the last line of stdout. Idempotent; the
# stamp file marks a complete install, so an interrupted build is redone.
#   --print-prefix   prints the prefix it would use and exits (CMake asks)
#   --print-flags    prints the GGML cmake flags of that build and exits
#                    (bench/generate_bench.py builds llama-bench with them)
set -euo pipefail

PIN_FILE="$(cd "$(dirname "$0")" && pwd)/llama.pin"
LLAMA_CPP_PYTHON_VERSION="$(sed -n 's/^llama_cpp_python_version=//p' "$PIN_FILE")"
# The build recipe's revision: bumped whenever the flags below change, so a
# cached build is never reused with different flags.
RECIPE="$(sed -n 's/^recipe=//p' "$PIN_FILE")"

cpu_has() { grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' | grep -qx "$1"; }
detect_tier() {
  local f
  for f in avx512f avx512cd avx512vl avx512dq avx512bw; do cpu_has "$f" || { echo avx2; return; }; done
  for f in avx512vbmi avx512_vnni avx512_bf16; do cpu_has "$f" || { echo avx512; return; }; done
  echo avx512vnni
}
TIER="${TAILOR_LLAMA_CPU:-auto}"
[ "$TIER" = auto ] && TIER="$(detect_tier)"
GGML_FLAGS=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
            -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
case "$TIER" in
  avx2) GGML_FLAGS+=(-DGGML_AVX512=OFF) ;;
  avx512) GGML_FLAGS+=(-DGGML_AVX512=ON -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF) ;;
  avx512vnni) GGML_FLAGS+=(-DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON) ;;
  *) echo "build_llama: TAILOR_LLAMA_CPU must be auto, avx2, avx512 or avx512vnni, got '$TIER'" >&2; exit 2 ;;
esac

PIN="${LLAMA_CPP_PYTHON_VERSION}-cpu-${TIER}-${RECIPE}"
CACHE_ROOT="${TAILOR_CACHE:-$HOME/.cache/tailor}/llama.cpp"
PREFIX="$CACHE_ROOT/$PIN/install"
STAMP="$CACHE_ROOT/$PIN/.complete"
case "${1:-}" in
  --print-prefix) echo "$PREFIX"; exit 0 ;;
  --print-flags) printf '%s\n' "${GGML_FLAGS[@]}"; exit 0 ;;
  "") ;;
  *) echo "build_llama: unknown argument '$1' (--print-prefix, --print-flags)" >&2; exit 2 ;;
esac

SRC="$CACHE_ROOT/$PIN/source"
SDIST="$CACHE_ROOT/llama_cpp_python-${LLAMA_CPP_PYTHON_VERSION}.tar.gz"
BUILD="$CACHE_ROOT/$PIN/build"

# Fetches the pinned sdist once (sha256-checked) and unpacks its llama.cpp tree into $SRC.
unpack_source() {
  if [ ! -f "$SDIST" ]; then
    echo "build_llama: downloading llama-cpp-python==${LLAMA_CPP_PYTHON_VERSION} sdist" >&2
    local dl="$CACHE_ROOT/$PIN/download"
    rm -rf "$dl"
    python3 -m pip download --quiet --no-deps --no-binary :all: \
      "llama-cpp-python==${LLAMA_CPP_PYTHON_VERSION}" -d "$dl" >&2
    mv "$dl/llama_cpp_python-${LLAMA_CPP_PYTHON_VERSION}.tar.gz" "$SDIST"
    rm -rf "$dl"
  fi
  local actual expected
  actual=$(sha256sum "$SDIST" | cut -d' ' -f1)
  expected="$(sed -n 's/^sdist_sha256=//p' "$PIN_FILE")"
  if [ -n "$expected" ] && [ "$actual" != "$expected" ]; then
    echo "build_llama: sha256 mismatch for $SDIST: got $actual, pinned $expected" >&2
    rm -f "$SDIST"
    exit 1
  fi
  local tmp="$CACHE_ROOT/$PIN/unpack"
  rm -rf "$tmp" "$SRC"
  mkdir -p "$tmp"
  tar -xzf "$SDIST" -C "$tmp"
  mv "$tmp/llama_cpp_python-${LLAMA_CPP_PYTHON_VERSION}/vendor/llama.cpp" "$SRC"
  rm -rf "$tmp"
}

if [ -f "$STAMP" ] && [ -f "$PREFIX/include/llama.h" ]; then
  # A cache from before the source tree was kept separately: unpack it only.
  [ -f "$SRC/include/llama.h" ] || unpack_source
  rm -rf "$CACHE_ROOT/$PIN/work"
  echo "$PREFIX"
  exit 0
fi

rm -rf "$PREFIX" "$BUILD"
unpack_source
echo "build_llama: building llama.cpp from $SRC for the $TIER tier (a few minutes, once per version)" >&2
LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib "${LAUNCHER[@]}" \
  -DCMAKE_INSTALL_RPATH='$ORIGIN' \
  -DBUILD_SHARED_LIBS=ON -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  "${GGML_FLAGS[@]}" -DGGML_OPENMP=OFF -DGGML_CCACHE=OFF \
  -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF >&2
cmake --build "$BUILD" -j "$(nproc)" >&2
cmake --install "$BUILD" >&2
cp "$SRC/LICENSE" "$PREFIX/LICENSE.llama.cpp"
# Keep the source tree (llama-bench in bench/ builds from it); drop the objects.
rm -rf "$BUILD" "$CACHE_ROOT/$PIN/work"
touch "$STAMP"
echo "$PREFIX"
