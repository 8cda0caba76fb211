#!/usr/bin/env bash
# Sets up everything (scripts/setup.sh) and runs every test through CTest:
# the GoogleTest suites of each component, the dataset-backed tests (label
# "data", reading ../shared/datasets) and the CLI and demo-data tests (pytest,
# registered in CTest). Long benchmarks are in bench/, not here.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR="${TAILOR_BUILD_DIR:-build}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
