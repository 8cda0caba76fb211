"""`tailor report` on the demo data: report.json holds every section, and
report.html renders in headless Chromium with the sections in the DOM and no
console errors. Everything is written under pytest's tmp_path, never the repo.
Set TAILOR_REPORT_SCREENSHOT=PATH to keep the screenshot (docs/report.png)."""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(os.environ.get("TAILOR_SOURCE_DIR", Path(__file__).resolve().parents[2]))
TAILOR = os.environ.get("TAILOR_BIN", str(REPO / "build" / "src" / "cli" / "tailor"))
SECTIONS = ["segments", "rfm", "rules", "propensity"]


def run(*args):
    return subprocess.run([TAILOR, *map(str, args)], check=True, capture_output=True, text=True, timeout=600).stdout


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    db = root / "demo.db"
    run("import", "--db", db, "--format", "tailor", REPO / "data" / "demo", "--quiet")
    run("segments", "--db", db, "--json")
    out = root / "out"
    run("report", "--db", db, "--out", out)
    return out


@pytest.mark.parametrize("group,tag", [("runner", "runner"), ("tech_enthusiast", "科技爱好者"), ("bookworm", "bookworm")])
def test_profile_interest_tags_follow_the_hidden_taste(report_dir, group, tag):
    truth = json.loads((REPO / "data" / "demo" / "truth.json").read_text())
    users = sorted(u for u, g in truth["users"].items() if g == group)[:12]
    hits = 0
    for user in users:
        profile = json.loads(run("profile", "--db", report_dir.parent / "demo.db", "--user", user, "--json"))
        assert isinstance(profile["tags"], list) and len(profile["tags"]) <= 6
        hits += tag in profile["tags"]
    assert hits >= 0.75 * len(users), (group, hits, len(users))


def test_report_json_has_every_section(report_dir):
    report = json.loads((report_dir / "report.json").read_text())
    assert report["format"] == "tailor-report"
    assert len(report["segments"]["list"]) >= 2
    assert sum(s["size"] for s in report["segments"]["list"]) == report["users"]
    for feature in ["recency_days", "frequency", "monetary"]:
        hist = report["rfm"][feature]
        assert sum(hist["counts"]) == hist["count"] > 0
    assert report["association_rules"]["rules"], "the demo baskets give rules at the default thresholds"
    propensity = report["propensity"]
    assert propensity["available"] and 0.5 < propensity["auc"] <= 1
    assert len(propensity["lift"]) == 10 and abs(propensity["lift"][-1]["lift"] - 1) < 1e-9


def test_report_html_is_self_contained(report_dir):
    html = (report_dir / "report.html").read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert html.count("<svg") >= 5


def chromium():
    for name in ["chromium", "chromium-browser", "google-chrome"]:
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (scripts/setup.sh installs it)")
def test_report_renders_in_headless_chromium(report_dir, tmp_path):
    url = (report_dir / "report.html").as_uri()
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"]
        dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
        assert dom.returncode == 0, dom.stderr[-2000:]
        for section in SECTIONS:
            assert f'id="{section}"' in dom.stdout, section
        assert "Tailor marketing report" in dom.stdout
        errors = [l for l in dom.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
        assert not errors, errors
        shot_run = subprocess.run(base + [f"--screenshot={shot}", "--window-size=1280,2000", url],
                                  capture_output=True, text=True, timeout=120)
        assert shot_run.returncode == 0, shot_run.stderr[-2000:]
        errors = [l for l in shot_run.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
        assert not errors, errors
    assert shot.stat().st_size > 10_000
    if os.environ.get("TAILOR_REPORT_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["TAILOR_REPORT_SCREENSHOT"])
