"""The tailor command on small inputs it builds itself and on the demo data:
help and exit codes, import cleaning (lenient and strict), durability under
kill -9, recommendations that make sense."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import REPO, TAILOR, run, run_json

SUBCOMMANDS = ["import", "stats", "train", "history", "recommend", "similar", "eval"]


def test_help_everywhere_and_usage_errors(db):
    assert "import" in run("--help").stdout
    for cmd in SUBCOMMANDS:
        out = run(cmd, "--help").stdout
        assert "--db" in out, cmd
    assert run("stats", "--no-such-flag", check=False).returncode == 2
    assert run("frobnicate", check=False).returncode == 2
    # A store that does not exist is "not found" for read-only commands, and nothing is created.
    proc = run("stats", "--db", db, check=False)
    assert proc.returncode == 4 and "error" in proc.stderr
    assert not db.exists()


BAD_CSV = """user,item,type,value,timestamp,note
u1,i1,purchase,1,2024-01-01T10:00:00Z,ok
u1,i2,rating,4.5,2024-01-01T11:00:00+08:00,ok
u2,i1,rating,7,2024-01-02T00:00:00Z,rating above the scale
,i3,click,1,2024-01-02T00:00:00Z,missing user
u3,i3,click,1,not-a-date,bad timestamp
u3,i4,teleport,1,2024-01-02T00:00:00Z,unknown type
u3,i4,click,1
u1,i1,purchase,1,2024-01-01T10:00:00Z,ok
u4,i5,view,1,2999-01-01T00:00:00Z,future
u5,i6,view,1,1704067200,"unix seconds, 用户 with  extra   spaces"
"""


def write_bad_csv(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    return path


def stats(db):
    return run_json("stats", "--db", db)


def test_lenient_import_keeps_good_rows_and_reports_each_bad_one(db, tmp_path):
    csv_path = write_bad_csv(tmp_path)
    report = run_json("import", "--db", db, "--format", "csv", "--map",
                      "user=user,item=item,type=type,value=value,timestamp=timestamp", csv_path)
    assert report["events"] == 3
    assert report["duplicates"] == 1
    assert sum(report["rejected_by_reason"].values()) == 6
    lines = sorted(ex["line"] for ex in report["examples"])
    assert lines == [4, 5, 6, 7, 8, 10]
    s = stats(db)
    assert s["events"] == 3 and s["users"] == 2  # rejected rows create nothing
    # The +08:00 offset was normalised to UTC.
    hist = run_json("history", "--db", db, "--user", "u1")
    ts = {e["item"]: e["timestamp"] for e in hist["events"]}
    assert ts["i2"] == "2024-01-01T03:00:00Z"


def test_strict_import_writes_nothing_and_exits_3(db, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("user_id,item_id,type,value,timestamp\nu9,i9,click,1,2024-03-01T00:00:00Z\n")
    run("import", "--db", db, "--format", "csv", good, "--quiet")
    before = stats(db)
    proc = run("import", "--db", db, "--format", "csv", "--strict", "--map",
               "user=user,item=item,type=type,value=value,timestamp=timestamp", write_bad_csv(tmp_path),
               check=False)
    assert proc.returncode == 3, proc.stderr
    assert "events.csv:4" in proc.stderr and "value" in proc.stderr
    assert stats(db) == before


def test_clip_policy_clips_instead_of_rejecting(db, tmp_path):
    report = run_json("import", "--db", db, "--format", "csv", "--clip", "--map",
                      "user=user,item=item,type=type,value=value,timestamp=timestamp", write_bad_csv(tmp_path))
    assert report["clipped"] >= 2  # rating 7 -> 5, the future timestamp -> now
    assert report["events"] == 5


def test_kill_9_during_import_leaves_store_consistent(db, tmp_path):
    # One acknowledged import first: it must survive whatever happens next.
    first = tmp_path / "first.csv"
    first.write_text("user_id,item_id,type,value,timestamp\n" +
                     "".join(f"a{u},b{u % 7},click,1,{1600000000 + u}\n" for u in range(1000)))
    run("import", "--db", db, "--format", "csv", first, "--quiet")
    big = tmp_path / "big.csv"
    rows = 1_500_000
    with open(big, "w") as f:
        f.write("user_id,item_id,type,value,timestamp\n")
        rng = random.Random(7)
        for n in range(rows):
            f.write(f"user{n % 5000},item{rng.randrange(20000)},view,1,{1600000000 + n}\n")
    proc = subprocess.Popen([str(TAILOR), "import", "--db", str(db), "--format", "csv", str(big), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.Random().uniform(0.3, 1.5))
    killed = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    s = stats(db)
    # All or nothing of the killed import, and everything acknowledged before it.
    assert s["events"] in (1000, 1000 + rows), s
    if killed:
        assert s["events"] == 1000


def test_demo_recommendations_follow_taste(demo_db):
    truth = json.loads((REPO / "data" / "demo" / "truth.json").read_text())
    users = truth["users"] if "users" in truth else truth
    groups = truth.get("groups", {})
    runners = [u for u, g in users.items() if g == "runner"][:20]
    assert runners, "the demo data has a runner group"
    run_cats = set(groups["runner"]["strong"])  # running, fitness
    share = []
    for user in runners:
        out = run_json("recommend", "--db", demo_db, "--user", user, "--n", 10)
        assert out["user"] == user and len(out["items"]) == 10
        seen = {e["item"] for e in run_json("history", "--db", demo_db, "--user", user, "--limit", 0)["events"]}
        assert not seen & {it["item"] for it in out["items"]}, "seen items are excluded"
        share.append(sum(1 for it in out["items"] if set(it["categories"]) & run_cats) / 10)
    assert sum(share) / len(share) >= 0.5, share


def test_unknown_user_gets_popular_items(demo_db):
    out = run_json("recommend", "--db", demo_db, "--user", "nobody-here", "--n", 5)
    assert out["source"].startswith("popular") and len(out["items"]) == 5


def test_similar_items_and_missing_item(demo_db):
    out = run_json("similar", "--db", demo_db, "--item", "sku-00001", "--n", 5)
    assert 0 < len(out["items"]) <= 5
    assert all(it["item"] != "sku-00001" for it in out["items"])
    assert run("similar", "--db", demo_db, "--item", "no-such-sku", check=False).returncode == 4


def test_eval_json_has_every_metric_for_every_k(demo_db):
    out = run_json("eval", "--db", demo_db, "--model", "itemknn", "--split", "random", "--test-fraction", "0.2",
                   "--seed", "42", "--k", "5", "--k", "10")
    for k in (5, 10):
        for name in ("precision", "recall", "f1", "ndcg", "map", "hit"):
            assert 0 <= out[f"{name}@{k}"] <= 1, name
    assert 0.5 < out["auc"] <= 1
    again = run_json("eval", "--db", demo_db, "--model", "itemknn", "--split", "random", "--test-fraction", "0.2",
                     "--seed", "42", "--k", "5,10")
    assert again["ndcg@10"] == out["ndcg@10"], "same seed, same numbers"
    assert run("eval", "--db", demo_db, "--model", "nope", check=False).returncode in (2, 3)


def test_split_files_reproduce_the_in_process_split(demo_db, tmp_path):
    sizes = run_json("split", "--db", demo_db, "--split", "recbole", "--seed", "7", "--out", tmp_path / "s")
    assert sizes["train"] > 0 and sizes["validation"] > 0 and sizes["test"] > 0
    header = (tmp_path / "s" / "train.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "user_id\titem_id\tweight\trating\ttimestamp"
    direct = run_json("eval", "--db", demo_db, "--model", "itemknn", "--split", "recbole", "--seed", "7")
    from_files = run_json("eval", "--db", demo_db, "--model", "itemknn", "--split-dir", tmp_path / "s")
    assert from_files["ndcg@10"] == direct["ndcg@10"] and from_files["users"] == direct["users"]
    # A bad file is rejected with its line and field.
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "train.tsv").write_text("user_id\titem_id\tweight\trating\ttimestamp\nu-0001\tsku-00001\tx\t\t1\n")
    (bad / "test.tsv").write_text("user_id\titem_id\tweight\trating\ttimestamp\n")
    proc = run("eval", "--db", demo_db, "--split-dir", bad, check=False)
    assert proc.returncode == 3 and "train.tsv:2" in proc.stderr and "weight" in proc.stderr


def test_tune_writes_a_config_that_train_reads(demo_db, tmp_path):
    config = tmp_path / "best.json"
    out = run_json("tune", "--db", demo_db, "--model", "userknn", "--trials", "3", "--out", config)
    assert len(out["trials"]) == 3 and out["validation"] >= out["defaults_validation"]
    saved = json.loads(config.read_text())
    assert saved["model"] == "userknn" and saved["params"] == out["params"]
    trained = run_json("train", "--db", demo_db, "--config", config)
    assert trained["model"] == "userknn" and trained["params"] == saved["params"]
    # Put the default model back for the other tests sharing demo_db.
    run("train", "--db", demo_db, "--model", "itemknn", "--quiet")


def test_attribute_cold_start_and_diversity_with_hybrid(tmp_path):
    db = tmp_path / "hybrid.db"
    run("import", "--db", db, "--format", "tailor", REPO / "data" / "demo", "--quiet")
    run("train", "--db", db, "--model", "hybrid", "--quiet")

    def share(items, cats):
        return sum(1 for it in items if it["categories"][0] in cats) / len(items)

    female = run_json("recommend", "--db", db, "--user", "new-f", "--attr", "gender=female", "--n", 20)
    male = run_json("recommend", "--db", db, "--user", "new-m", "--attr", "gender=male", "--n", 20)
    assert female["source"] == "model (attributes only)" and len(female["items"]) == 20
    style = {"beauty", "fashion"}
    tech = {"gaming", "computers", "phones-audio"}
    assert share(female["items"], style) > share(male["items"], style)
    assert share(male["items"], tech) > share(female["items"], tech)

    plain = run_json("recommend", "--db", db, "--user", "u-0005", "--n", 10)
    diverse = run_json("recommend", "--db", db, "--user", "u-0005", "--n", 10, "--diversity", "0.7")
    assert len(diverse["items"]) == 10
    distinct = lambda out: len({it["categories"][0] for it in out["items"]})
    assert distinct(diverse) > distinct(plain)
    assert run("recommend", "--db", db, "--user", "u-0005", "--diversity", "2", check=False).returncode == 3


def test_category_propensity_from_the_store(demo_db):
    out = run_json("propensity", "--db", demo_db, "--category", "running", "--top", "10")
    assert out["category"] == "running" and out["auc"] > 0.7 and len(out["audience"]) == 10
    truth = json.loads((REPO / "data" / "demo" / "truth.json").read_text())["users"]
    runners = sum(1 for a in out["audience"] if truth.get(a["user"]) == "runner")
    assert runners >= 5, out["audience"]
    assert run("propensity", "--db", demo_db, "--category", "running", "--csv", "x.csv", check=False).returncode == 2
    assert run("propensity", "--db", demo_db, check=False).returncode == 2  # --db needs --category


def test_item_text_embeddings_reach_similar_and_the_hybrid(tmp_path):
    """Issue 19: after embed-items, `similar --by content` answers for an item with no
    events, and the hybrid trained on the store recommends new items by their text."""
    db = tmp_path / "shop.db"
    # Bilingual titles, as in the demo store: with short one-language titles the
    # small embedder's cosine follows the language more than the product.
    kinds = {
        "ear": ["无线降噪耳机 Wireless noise cancelling headphones", "头戴式蓝牙耳机 Over-ear Bluetooth headphones",
                "蓝牙耳塞 充电盒 Bluetooth earbuds with charging case", "跑步入耳式耳机 In-ear earphones for running",
                "降噪蓝牙耳机 入耳式 Noise cancelling in-ear Bluetooth earphones"],
        "lip": ["哑光红色口红 Matte red lipstick, long lasting", "持久不沾杯口红 Long-wear lipstick",
                "乳木果润唇膏 Moisturising lip balm with shea butter", "裸色口红 Nude lipstick for everyday makeup",
                "滋润保湿唇膏 Hydrating tinted lip balm"],
    }
    items = tmp_path / "items.jsonl"
    with items.open("w", encoding="utf-8") as f:
        for kind, titles in kinds.items():
            for n, title in enumerate(titles):
                f.write(json.dumps({"item_id": f"{kind}{n}", "title": title}, ensure_ascii=False) + "\n")
    events = tmp_path / "events.csv"
    with events.open("w") as f:
        f.write("user_id,item_id,type,timestamp\n")
        t = 1_700_000_000
        for user in range(12):
            kind = "ear" if user < 6 else "lip"
            for n in range(3):  # items 3 and 4 of each kind are new: no events at all
                if (user + n) % 4 != 0:
                    f.write(f"u{user},{kind}{n},purchase,{t}\n")
                    t += 60
    run("import", "--db", db, "--format", "jsonl", "--entity", "items", items, "--quiet")
    run("import", "--db", db, "--format", "csv", events, "--quiet")
    run("embed-items", "--db", db, "--quiet")
    run("train", "--db", db, "--model", "hybrid", "--param", "cold_fill_embedding=true", "--quiet")
    content = run_json("similar", "--db", db, "--item", "ear4", "--by", "content", "--n", 3)
    assert content["by"] == "content"
    assert [it["item"][:3] for it in content["items"]] == ["ear"] * 3, content
    behaviour = run_json("similar", "--db", db, "--item", "ear4", "--by", "behaviour")
    assert behaviour["items"] == []  # no events: nothing to co-occur with
    hybrid = run_json("similar", "--db", db, "--item", "lip0", "--by", "hybrid", "--n", 4)
    assert all(it["item"].startswith("lip") for it in hybrid["items"]), hybrid
    bad = run("similar", "--db", db, "--item", "ear0", "--by", "colour", check=False)
    assert bad.returncode != 0 and "by" in bad.stderr
    # The hybrid learned an embedding source and fills new items from it: a
    # headphone buyer's list ranks the new headphones above the new lipsticks.
    recs = run_json("recommend", "--db", db, "--user", "u1", "--n", 10)["items"]
    ranked = [it["item"] for it in recs]
    new = [i for i in ranked if i in ("ear3", "ear4", "lip3", "lip4")]
    assert new and new[0].startswith("ear"), ranked
    cold = run_json("eval", "--db", db, "--model", "hybrid", "--split", "cold-items", "--test-fraction", "0.3",
                    "--k", 3, "--param", "cold_fill_embedding=true")
    assert cold["users"] > 0
