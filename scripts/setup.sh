#!/usr/bin/env bash
# Installs everything Tailor needs on a fresh Debian 12 machine and builds it.
# Idempotent: packages already present are skipped, and the build is
# incremental (ccache keeps compiled objects in ~/.cache/ccache, outside the repo).
#
#   scripts/setup.sh            # install + build (Release, warnings as errors)
#   TAILOR_BUILD_DIR=dir scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the compiler toolchain and every third-party library, all
# from the distribution (nothing third-party lives in this repository).
APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libsqlite3-dev sqlite3          # embedded store
  nlohmann-json3-dev              # JSON for attributes, reports, --json output
  libcli11-dev                    # the tailor command line
  libfmt-dev                      # formatting in the CLI
  libicu-dev                      # Unicode NFC normalisation, word breaks (zh/en)
  libstemmer-dev                  # Snowball stemmers for the content models' tokenizer
  zlib1g-dev                      # gzip'd datasets (Amazon, demo events)
  libeigen3-dev                   # dense linear algebra for models
  libgtest-dev libgmock-dev       # unit tests
  libbenchmark-dev                # micro benchmarks in bench/
  libxgboost-dev                  # gradient-boosted trees for propensity models (optional at build time)
  libcpp-httplib-dev libssl-dev    # tailor serve: HTTP server, SHA-256 of API keys
  libtomlplusplus-dev             # tailor serve --config: the TOML settings file
  wrk                             # bench/serve_bench.py: HTTP load generator
  python3 python3-venv            # demo data generator, CLI tests
  nodejs                          # gorsejs, the Gorse JavaScript client, in tests/server/gorse_clients_test.py
  chromium fonts-wqy-microhei     # headless render test of `tailor report` (tests/profile/report_test.py); CJK glyphs
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# pytest drives the CLI-level tests; use the machine's python3.
if ! python3 -c 'import pytest' 2>/dev/null; then
  echo "setup: installing pytest"
  python3 -m pip install --quiet pytest || python3 -m pip install --quiet --break-system-packages pytest
fi

# The official Gorse clients that tests/server/gorse_clients_test.py drives
# against tailor serve, pinned and kept outside the repository: PyGorse in a
# virtualenv, gorsejs in a node_modules folder. npm comes with NodeSource's
# nodejs; Debian's nodejs needs the separate npm package.
GORSE_VENV="$HOME/.cache/tailor/gorse-clients-venv"
if ! "$GORSE_VENV/bin/python" -c 'import gorse, pytest' 2>/dev/null; then
  echo "setup: installing PyGorse into $GORSE_VENV"
  python3 -m venv "$GORSE_VENV"
  "$GORSE_VENV/bin/pip" install --quiet "PyGorse==0.5.1" pytest
fi
# GrowthBook's statistics engine, the reference tests/experiment/gbstats_parity_test.py
# holds Tailor's experiment statistics to (1e-6), pinned in its own virtualenv.
GBSTATS_VENV="$HOME/.cache/tailor/gbstats-venv"
if ! "$GBSTATS_VENV/bin/python" -c 'import gbstats.gbstats, pytest, importlib.metadata as m; assert m.version("gbstats") == "0.8.0"' 2>/dev/null; then
  echo "setup: installing gbstats 0.8.0 into $GBSTATS_VENV"
  python3 -m venv "$GBSTATS_VENV"
  "$GBSTATS_VENV/bin/pip" install --quiet "gbstats==0.8.0" pytest
fi
if ! command -v npm >/dev/null; then
  echo "setup: installing npm"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq --no-install-recommends npm
fi
# gorsejs 0.4.8 requires tslib at run time without declaring it, hence the second package.
GORSEJS_PREFIX="$HOME/.cache/tailor/gorsejs"
if [ "$(node -p 'require(process.argv[1]).version' "$GORSEJS_PREFIX/node_modules/gorsejs/package.json" 2>/dev/null)" != "0.4.8" ] ||
   [ ! -f "$GORSEJS_PREFIX/node_modules/tslib/package.json" ]; then
  echo "setup: installing gorsejs 0.4.8 into $GORSEJS_PREFIX"
  npm install --silent --no-audit --no-fund --prefix "$GORSEJS_PREFIX" gorsejs@0.4.8 tslib@2.9.1
fi

# llama.cpp, pinned, built once into ~/.cache/tailor/llama.cpp (outside the repo).
LLAMA_PREFIX="$(bash scripts/build_llama.sh | tail -n 1)"
# The default language models into ~/.cache/tailor/models (pinned, sha256-checked).
bash scripts/fetch_models.sh

BUILD_DIR="${TAILOR_BUILD_DIR:-build}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAILOR_WERROR=ON \
        -DTAILOR_LLAMA_PREFIX="$LLAMA_PREFIX"
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
echo "setup: built $BUILD_DIR/src/cli/tailor"
