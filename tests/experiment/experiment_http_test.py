"""End to end over HTTP: two models behind one experiment on the demo store.

The demo store is imported and two models are trained (popular, then
itemknn). `tailor serve` runs an experiment whose control serves `popular`
and whose treatment serves `itemknn`; every demo user asks for
recommendations, and a simulated click stream (seeded) clicks an item with
probability 0.3 when it is in one of the user's hidden taste categories
(data/demo/truth.json) and 0.02 otherwise, so the personalised model is truly
better. Clicks are sent back as events, most with the exposure_id, some
without (attributed by user and item within the window). The report must
name itemknn's variant the winner with no sample-ratio mismatch; assignment
is sticky across a restart; the Gorse route serves the same variant;
/metrics and /v1/monitor show the variants.
"""
import json
import os
import random
import subprocess
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TAILOR = os.environ.get("TAILOR_BIN", str(REPO / "build" / "src" / "cli" / "tailor"))
ADMIN, CLIENT = "exp-admin-key", "exp-client-key"


def tailor(*args):
    out = subprocess.run([TAILOR, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


class Server:
    def __init__(self, db):
        self.proc = subprocess.Popen([TAILOR, "serve", "--db", str(db), "--port", "0", "--api-key", ADMIN + ":admin",
                                      "--api-key", CLIENT + ":client", "--quiet"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), (line, self.proc.stderr.read() if self.proc.poll() else "")
        self.base = line.strip().split("listening on ")[1]

    def call(self, method, path, body=None, key=CLIENT):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                text = res.read().decode()
                return res.status, dict(res.headers), (json.loads(text) if "json" in res.headers.get("Content-Type", "") else text)
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.loads(e.read().decode() or "null")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = tmp_path_factory.mktemp("exp") / "demo.db"
    tailor("import", "--db", db, "--format", "tailor", REPO / "data" / "demo", "--quiet")
    tailor("train", "--db", db, "--model", "popular", "--quiet")
    tailor("train", "--db", db, "--model", "itemknn", "--quiet")
    return db


def test_two_models_one_experiment_names_the_better_one(demo):
    truth = json.load(open(REPO / "data" / "demo" / "truth.json"))
    groups = truth["groups"]
    users = sorted(truth["users"])
    server = Server(demo)
    try:
        definition = {"id": "ranker", "name": "popular vs itemknn / 热门对比协同过滤",
                      "variants": [{"name": "control", "model": "popular"}, {"name": "knn", "model": "itemknn"}],
                      "primary_metric": "ctr", "guardrail_metrics": ["conversion"], "attribution_window_s": 3600,
                      "sequential_tuning": len(users)}
        status, _, doc = server.call("POST", "/v1/experiments", definition, key=CLIENT)
        assert status == 403, "defining experiments needs the admin role"
        status, _, doc = server.call("POST", "/v1/experiments", definition, key=ADMIN)
        assert status == 201, doc
        bad = dict(definition, id="bad", traffic=2)
        status, _, doc = server.call("POST", "/v1/experiments", bad, key=ADMIN)
        assert status == 400 and "traffic" in doc["error"]["message"]
        status, _, doc = server.call("POST", "/v1/experiments/ranker/start", key=ADMIN)
        assert status == 200 and doc["status"] == "running"

        rng = random.Random(12)
        variant_of, events = {}, []
        for idx, user in enumerate(users):
            status, headers, doc = server.call("GET", f"/v1/users/{user}/recommendations?n=10")
            assert status == 200, doc
            exp = doc["experiment"]
            assert exp["id"] == "ranker" and doc["exposure_id"] == exp["exposure_id"]
            assert headers["X-Tailor-Experiment"] == "ranker/" + exp["variant"]
            assert doc["model"] == ("popular" if exp["variant"] == "control" else "itemknn")
            variant_of[user] = exp["variant"]
            strong = set(groups[truth["users"][user]]["strong"])
            for item in doc["items"]:
                if rng.random() < (0.3 if strong & set(item.get("categories", [])) else 0.02):
                    event = {"user": user, "item": item["item"], "type": "click"}
                    if idx % 5:  # every fifth user's clicks carry no id: attributed by (user, item) in the window
                        event["context"] = {"exposure_id": doc["exposure_id"]}
                    events.append(event)
        for start in range(0, len(events), 200):
            status, _, doc = server.call("POST", "/v1/events", events[start:start + 200])
            assert status == 200, doc
        assert len(set(variant_of.values())) == 2

        status, _, report = server.call("GET", "/v1/experiments/ranker/results", key=ADMIN)
        assert status == 200, report
        assert report["srm"]["flag"] is False
        ctr = report["metrics"][0]
        assert ctr["name"] == "ctr" and ctr["type"] == "ratio"
        knn = ctr["variants"][1]
        assert knn["name"] == "knn" and knn["lift"] > 0 and knn["significant"], ctr
        assert report["verdict"]["winner"] == "knn", report["verdict"]
        assert sum(v["exposures"] for v in report["variants"]) == len(users)

        status, _, text = server.call("GET", "/metrics", key=ADMIN)
        assert 'tailor_experiment_exposures_total{experiment="ranker",variant="knn",model="itemknn"}' in text
        assert "tailor_experiment_ctr" in text
        status, headers, ids = server.call("GET", f"/api/recommend/{users[0]}?n=5")
        assert status == 200 and headers["X-Tailor-Experiment"] == "ranker/" + variant_of[users[0]]
        assert headers["X-Tailor-Exposure-Id"].startswith("ranker.")
        status, _, monitor = server.call("GET", "/v1/monitor?experiment=ranker", key=ADMIN)
        assert status == 200 and "series" in monitor
    finally:
        server.stop()

    # Sticky across a restart: the assignment is a function of the stored definition.
    server = Server(demo)
    try:
        for user in users[:40]:
            status, _, doc = server.call("GET", f"/v1/users/{user}/recommendations?n=3")
            assert doc["experiment"]["variant"] == variant_of[user]
        status, _, doc = server.call("POST", "/v1/experiments/ranker/stop", key=ADMIN)
        assert status == 200 and doc["status"] == "stopped"
        status, _, doc = server.call("GET", f"/v1/users/{users[0]}/recommendations?n=3")
        assert "experiment" not in doc, "a stopped experiment serves nobody"
    finally:
        server.stop()

    table = tailor("experiment", "report", "--db", demo, "--id", "ranker")
    print(table)
    assert table.index("sample ratio check") < table.index("ctr")
    assert "winner knn" in table
    monitor = json.loads(tailor("monitor", "--db", demo, "--json"))
    assert any(s["experiment"] == "ranker" for s in monitor["series"]), monitor
