"""Fixtures for the CLI-level tests: they drive the real `tailor` binary on real
SQLite files, the shipped demo data and the shared public datasets."""
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TAILOR = Path(os.environ.get("TAILOR_BIN", REPO / "build" / "src" / "cli" / "tailor"))
DATASETS = Path(os.environ.get("TAILOR_DATASETS", REPO.parent / "shared" / "datasets"))


def run(*args, check=True, timeout=600, **kwargs):
    """Runs tailor with args; returns the CompletedProcess (text mode)."""
    proc = subprocess.run([str(TAILOR), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"tailor {' '.join(map(str, args))} exited {proc.returncode}\n"
                             f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def run_json(*args, **kwargs):
    proc = run(*args, "--json", **kwargs)
    return json.loads(proc.stdout)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "store.db"


@pytest.fixture(scope="session")
def datasets():
    if not DATASETS.is_dir():
        pytest.fail(f"shared datasets not found at {DATASETS} (set TAILOR_DATASETS)")
    return DATASETS


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """The demo data imported and an itemknn model trained, shared by tests."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    run("import", "--db", path, "--format", "tailor", REPO / "data" / "demo", "--quiet")
    run("train", "--db", path, "--model", "itemknn", "--quiet")
    return path
