"""`tailor segments --describe llm` with the real default generator
(SmolLM2-135M-Instruct from the model cache) on the demo data: the JSON is
valid, every segment has a non-empty description and a source ("llm" or
"rules"), each language asked has an entry, and every description the model
wrote passes the same checks the engine made (length, language). Needs the
model cache (scripts/fetch_models.sh); CTest label "llm"."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(os.environ.get("TAILOR_SOURCE_DIR", Path(__file__).resolve().parents[2]))
TAILOR = os.environ.get("TAILOR_BIN", str(REPO / "build" / "src" / "cli" / "tailor"))
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def run(*args):
    return subprocess.run([TAILOR, *map(str, args)], check=True, capture_output=True, text=True, timeout=1500).stdout


@pytest.fixture(scope="module")
def described(tmp_path_factory):
    db = tmp_path_factory.mktemp("segments") / "demo.db"
    run("import", "--db", db, "--format", "tailor", REPO / "data" / "demo", "--quiet")
    out = run("segments", "--db", db, "--describe", "llm", "--lang", "en,zh", "--llm-threads", "1", "--json")
    return db, json.loads(out)


def test_every_segment_has_a_description_and_a_source(described):
    _, doc = described
    assert doc["describe"]["langs"] == ["en", "zh"]
    assert doc["describe"]["model"]
    assert doc["describe"]["llm"] + doc["describe"]["rules"] == 2 * len(doc["segments"])
    for segment in doc["segments"]:
        assert segment["description"].strip(), segment
        assert segment["description_source"] in ("llm", "rules"), segment
        assert set(segment["descriptions"]) == {"en", "zh"}, segment
        assert segment["description"] == segment["descriptions"]["en"]["text"]
        for lang, entry in segment["descriptions"].items():
            assert entry["source"] in ("llm", "rules")
            assert entry["text"].strip()
            if entry["source"] == "llm":
                assert len(entry["text"]) <= 120, entry
                assert bool(HAN.search(entry["text"])) == (lang == "zh"), entry
            elif not segment["no_activity"]:
                assert entry["rejected"], entry  # a fallback says why
    print("model descriptions:", doc["describe"]["llm"], "rule fallbacks:", doc["describe"]["rules"])


def test_the_stored_segments_keep_the_descriptions(described):
    db, doc = described
    user = next(iter(json.loads((REPO / "data" / "demo" / "truth.json").read_text())["users"]))
    profile = json.loads(run("profile", "--db", db, "--user", user, "--json"))
    by_id = {s["id"]: s for s in doc["segments"]}
    assert profile["segment"]["description"] == by_id[profile["segment"]["id"]]["description"]
    assert isinstance(profile["brands"], list)
