"""Acceptance checks on the shared public datasets (read-only ../shared/datasets)."""
from conftest import run, run_json


def test_movielens_latest_small_counts(db, datasets):
    run("import", "--db", db, "--format", "movielens-latest", datasets / "ml-latest-small", "--quiet")
    s = run_json("stats", "--db", db)
    assert s["users"] == 610 and s["items"] == 9742
    assert s["events_by_type"]["rating"] == 100836


def test_movielens_100k_counts_and_itemknn_beats_popular(db, datasets):
    run("import", "--db", db, "--format", "movielens-100k", datasets / "ml-100k", "--quiet")
    s = run_json("stats", "--db", db)
    assert (s["events"], s["users"], s["items"]) == (100000, 943, 1682)
    metrics = {}
    for model in ("popular", "itemknn"):
        metrics[model] = run_json("eval", "--db", db, "--model", model, "--split", "random", "--test-fraction",
                                  "0.2", "--seed", "42", "--k", "5,10,20")
    for k in (5, 10, 20):
        assert metrics["itemknn"][f"ndcg@{k}"] >= 1.3 * metrics["popular"][f"ndcg@{k}"], (k, metrics)


def test_amazon_gift_cards_with_metadata(db, datasets):
    report = run_json("import", "--db", db, "--format", "amazon", datasets / "amazon2018-gift-cards")
    s = run_json("stats", "--db", db)
    assert s["events"] == report["events"] > 2000
    assert report["duplicates"] + report["events"] + sum(report["rejected_by_reason"].values()) == 2972
