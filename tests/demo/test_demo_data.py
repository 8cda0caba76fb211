"""Checks of the shipped demo dataset (data/demo/) and its generator.

Run with: python3 -m pytest tests/demo
"""

import csv
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(REPO, "data", "demo")
SCRIPT = os.path.join(REPO, "scripts", "gen_demo_data.py")
FILES = ["items.jsonl", "users.jsonl", "events.csv.gz", "truth.json", "README.md"]
END = "2026-11-01T00:00:00Z"
MAX_BYTES = 1_500_000


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _items():
    with open(os.path.join(DEMO, "items.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _users():
    with open(os.path.join(DEMO, "users.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _events():
    with gzip.open(os.path.join(DEMO, "events.csv.gz"), "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [dict(zip(header, row)) for row in reader]


def _truth():
    with open(os.path.join(DEMO, "truth.json"), encoding="utf-8") as f:
        return json.load(f)


def test_regenerating_gives_byte_identical_files():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, SCRIPT, "--out", tmp], check=True, capture_output=True)
        for name in FILES:
            committed = _read(os.path.join(DEMO, name))
            fresh = _read(os.path.join(tmp, name))
            if name.endswith(".gz"):
                # The CSV inside must match exactly, whatever zlib build compressed it.
                # Compressed bytes may differ under another zlib build (e.g. zlib-ng);
                # byte-level determinism on one machine is the next test's job.
                assert gzip.decompress(fresh) == gzip.decompress(committed), f"{name}: content differs"
            else:
                assert fresh == committed, f"{name} differs from a fresh run of {SCRIPT}"


def test_generator_is_deterministic_here():
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        for out in (a, b):
            subprocess.run([sys.executable, SCRIPT, "--out", out], check=True, capture_output=True)
        for name in FILES:
            assert _read(os.path.join(a, name)) == _read(os.path.join(b, name)), name


def test_files_are_small():
    for name in FILES:
        assert os.path.getsize(os.path.join(DEMO, name)) < MAX_BYTES, name


def test_gzip_header_is_deterministic():
    data = _read(os.path.join(DEMO, "events.csv.gz"))
    assert data[:2] == b"\x1f\x8b"
    flags = data[3]
    assert flags & 0x08 == 0, "no file name stored"
    assert data[4:8] == b"\0\0\0\0", "mtime is 0"


def test_items():
    items = _items()
    assert len(items) >= 320
    ids = [it["item_id"] for it in items]
    assert len(set(ids)) == len(ids)
    cats = {it["categories"][0] for it in items}
    assert len(cats) >= 12
    langs = Counter(it["attributes"]["lang"] for it in items)
    assert langs["zh"] > 0 and langs["en"] > 0
    # at least one title actually written in Chinese, one in plain ASCII English
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in it["title"]) for it in items)
    assert any(it["title"].isascii() for it in items if it["attributes"]["lang"] == "en")
    assert len({it["title"] for it in items}) == len(items), "titles are unique"
    for it in items:
        for key in ("item_id", "title", "description", "categories", "tags", "price", "attributes", "created_at"):
            assert key in it, (it["item_id"], key)
        assert it["item_id"].startswith("sku-")
        assert it["price"] > 0 and round(it["price"], 2) == it["price"]
        assert {"brand", "colour", "lang"} <= set(it["attributes"])
        assert it["created_at"].endswith("Z") and it["created_at"] < END
    assert any(it.get("hidden") for it in items)
    assert any(it.get("available") is False for it in items)


def test_users():
    users = _users()
    assert len(users) >= 1200
    ids = [u["user_id"] for u in users]
    assert len(set(ids)) == len(ids)
    for u in users:
        a = u["attributes"]
        assert {"age", "gender", "city", "income_band", "risk_level", "signup_channel", "lang"} <= set(a)
        assert a["income_band"] in ("low", "middle", "high")
        assert a["risk_level"] in ("conservative", "balanced", "aggressive")
        assert "group" not in a, "the taste group is hidden truth, not an attribute"
    truth = _truth()
    assert set(truth["users"]) == set(ids)
    assert 8 <= len(truth["groups"]) <= 10
    assert set(truth["users"].values()) == set(truth["groups"])


def test_events():
    header, events = _events()
    assert header == ["user_id", "item_id", "type", "value", "timestamp", "channel", "text"]
    assert 30_000 <= len(events) <= 45_000
    users = {u["user_id"] for u in _users()}
    items = {it["item_id"]: it for it in _items()}
    types = Counter(e["type"] for e in events)
    assert {"view", "click", "add_to_cart", "purchase", "rating", "review"} <= set(types)
    assert set(types) <= {"view", "click", "add_to_cart", "purchase", "rating", "review",
                          "like", "share", "dislike"}
    seen = set()
    for e in events:
        assert e["user_id"] in users, e
        assert e["item_id"] in items, e
        assert e["channel"] in ("web", "app", "store", "email"), e
        ts = e["timestamp"]
        assert len(ts) == 20 and ts.endswith("Z") and ts[10] == "T", e
        assert ts <= END, e
        assert ts >= items[e["item_id"]]["created_at"], e
        key = (e["user_id"], e["item_id"], e["type"], ts)
        assert key not in seen, key
        seen.add(key)
        if e["type"] in ("rating", "review"):
            assert e["value"] in ("1", "2", "3", "4", "5"), e
        elif e["type"] == "purchase":
            assert 0 < float(e["value"]) <= items[e["item_id"]]["price"], e
        else:
            assert e["value"] == "1", e
        assert bool(e["text"]) == (e["type"] == "review"), e


def test_reviews_match_their_rating_language():
    users = {u["user_id"]: u["attributes"]["lang"] for u in _users()}
    _, events = _events()
    reviews = [e for e in events if e["type"] == "review"]
    assert reviews
    for e in reviews:
        has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in e["text"])
        assert has_cjk == (users[e["user_id"]] == "zh"), e


def test_runner_group_buys_running_gear():
    truth = _truth()
    cat = {it["item_id"]: it["categories"][0] for it in _items()}
    _, events = _events()
    runners = {u for u, g in truth["users"].items() if g == "runner"}
    bought = [cat[e["item_id"]] for e in events if e["type"] == "purchase" and e["user_id"] in runners]
    assert len(bought) >= 50
    share = sum(c == "running" for c in bought) / len(bought)
    assert share > 0.5, share


def test_every_group_mostly_buys_in_taste():
    truth = _truth()
    cat = {it["item_id"]: it["categories"][0] for it in _items()}
    _, events = _events()
    by_group = {}
    for e in events:
        if e["type"] == "purchase":
            by_group.setdefault(truth["users"][e["user_id"]], []).append(cat[e["item_id"]])
    for group, info in truth["groups"].items():
        bought = by_group.get(group, [])
        assert len(bought) >= 30, group
        in_taste = sum(c in info["strong"] for c in bought) / len(bought)
        assert in_taste > 0.6, (group, in_taste)


def test_csv_is_rfc4180_parsable():
    raw = gzip.decompress(_read(os.path.join(DEMO, "events.csv.gz"))).decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert all(len(r) == 7 for r in rows)
