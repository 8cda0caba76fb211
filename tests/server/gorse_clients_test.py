"""The official Gorse clients against `tailor serve`: PyGorse (PyPI) in this
process and gorsejs 0.4.8 (npm) through tests/server/gorse_clients_test.js,
both unchanged, over the Gorse-compatible /api routes.

Registered with CTest from tests/server/CMakeLists.txt; run by the Python of
the clients' virtual environment. The clients live outside the repository,
installed by scripts/setup.sh: TAILOR_GORSE_VENV (PyGorse) and
TAILOR_GORSEJS_MODULES (a node_modules folder holding gorsejs)."""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TAILOR = Path(os.environ.get("TAILOR_BIN", "build/src/cli/tailor"))
GORSEJS_MODULES = Path(os.environ.get("TAILOR_GORSEJS_MODULES", Path.home() / ".cache/tailor/gorsejs/node_modules"))
SETUP_HINT = "run scripts/setup.sh, which installs the Gorse clients under ~/.cache/tailor"

try:
    import gorse
except ImportError as error:  # a failure, not a skip: the clients are part of the test setup
    gorse = None
    IMPORT_ERROR = error

ADMIN_KEY = "gorse-admin-key-1"
CLIENT_KEY = "gorse-client-key-2"
USERS = [f"u{k:02d}" for k in range(20)]
ITEMS = [f"i{k:02d}" for k in range(15)]


def clicked(user_idx):
    """The fixture's behaviour: user k stars items k, k+1, k+2 (mod 15)."""
    return [ITEMS[(user_idx + offset) % len(ITEMS)] for offset in range(3)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if gorse is None:
        pytest.fail(f"PyGorse is not importable ({IMPORT_ERROR}): {SETUP_HINT}")
    for package in ("gorsejs", "tslib"):  # gorsejs 0.4.8 needs tslib without declaring it
        if not (GORSEJS_MODULES / package / "package.json").is_file():
            pytest.fail(f"{package} is not installed in {GORSEJS_MODULES}: {SETUP_HINT}")
    assert TAILOR.is_file(), f"TAILOR_BIN={TAILOR} does not exist: build the tailor target"
    tmp = tmp_path_factory.mktemp("gorse")
    log = open(tmp / "serve.log", "w")
    proc = subprocess.Popen([str(TAILOR), "serve", "--db", str(tmp / "store.db"), "--port", "0", "--quiet",
                             "--api-key", f"{ADMIN_KEY}:admin", "--api-key", f"{CLIENT_KEY}:client"],
                            stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.stdout.readline()
    assert line.startswith("listening on http://127.0.0.1:"), (line, (tmp / "serve.log").read_text())
    yield line.strip().split("listening on ")[1]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    log.close()


def native(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"X-API-Key": ADMIN_KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


def train(base):
    """Starts a training through the native API and waits for its outcome."""
    native(base, "POST", "/v1/models/train", {"model": "itemknn"})
    for _ in range(600):
        try:
            status = native(base, "GET", "/v1/models/current")
        except urllib.error.HTTPError as error:  # 503 until the first model is in
            assert error.code == 503, error
            status = None
        if status and not status["training"] and status["last_training"]:
            assert status["last_training"]["status"] == "ok", status
            return status
        time.sleep(0.1)
    raise AssertionError("the training did not finish")


def page_through(fetch, n):
    """Every row of a cursor-paged listing, and how many pages it took."""
    rows, cursor, pages = [], "", 0
    while True:
        batch, cursor = fetch(n, cursor)
        assert len(batch) <= n
        rows += batch
        pages += 1
        assert pages < 100, "paging does not end"
        if cursor == "":
            return rows, pages


def test_pygorse(server):
    client = gorse.Gorse(server, ADMIN_KEY)
    # Users, whole dicts compared as PyGorse's own tests do.
    users = [{"UserId": user, "Labels": ["reader", f"group-{k % 3}"], "Comment": f"user {k}"}
             for k, user in enumerate(USERS)]
    assert client.insert_users(users[1:]) == {"RowAffected": len(USERS) - 1}
    assert client.insert_user(users[0]) == {"RowAffected": 1}
    assert client.get_user("u00") == users[0]
    rows, pages = page_through(client.get_users, 6)
    assert [row["UserId"] for row in rows] == USERS and pages == 4

    # Items.
    items = [{"ItemId": item, "IsHidden": False, "Categories": ["even" if k % 2 == 0 else "odd"],
              "Timestamp": f"2022-02-{k + 1:02d}T00:00:00Z", "Labels": {"shade": k},
              "Comment": f"item number {k}" + (" with a rare keyword" if k == 7 else "")}
             for k, item in enumerate(ITEMS)]
    for item in items:
        assert client.insert_item(item) == {"RowAffected": 1}
    assert client.get_item("i03") == items[3]
    rows, _ = page_through(client.get_items, 4)
    assert [row["ItemId"] for row in rows] == ITEMS
    assert client.update_item("i03", comment="changed") == {"RowAffected": 1}
    assert client.get_item("i03") == dict(items[3], Comment="changed")
    assert [item["ItemId"] for item in client.search_items("rare keyword", n=5)] == ["i07"]

    # Feedback: one call per user for u00, a batch for the rest.
    assert client.insert_feedback("star", "u00", "i00", "2022-03-01T00:00:00Z", value=1) == {"RowAffected": 1}
    batch = [{"FeedbackType": "star", "UserId": user, "ItemId": item, "Timestamp": "2022-03-02T00:00:00Z",
              "Value": 1}
             for k, user in enumerate(USERS) for item in clicked(k) if (user, item) != ("u00", "i00")]
    assert client.insert_feedbacks(batch) == {"RowAffected": len(batch)}
    starred = client.list_feedbacks("star", "u00")
    assert sorted(fb["ItemId"] for fb in starred) == clicked(0)
    assert set(starred[0]) == {"FeedbackType", "UserId", "ItemId", "Value", "Timestamp", "Updated", "Labels",
                               "Comment"}
    rows, _ = page_through(client.get_feedbacks, 7)
    assert len(rows) == 3 * len(USERS)
    assert len({(fb["UserId"], fb["ItemId"]) for fb in rows}) == 3 * len(USERS)

    # Recommendations need a model: train one on what the clients wrote.
    train(server)
    recs = client.get_recommend("u00", n=5)
    assert 0 < len(recs) <= 5
    assert all(isinstance(rec, gorse.Score) for rec in recs)
    assert not {rec.id for rec in recs} & set(clicked(0))
    assert [rec.score for rec in recs] == sorted((rec.score for rec in recs), reverse=True)
    # u00 starred i00 i01 i02; its neighbours in the data star i01..i04 and i13..i14.
    assert {rec.id for rec in recs} & {"i03", "i04", "i13", "i14"}
    even = client.get_recommend("u00", category="even", n=5)
    assert even and all(int(rec.id[1:]) % 2 == 0 for rec in even)
    page2 = client.get_recommend("u00", n=2, offset=2)
    assert [rec.id for rec in page2] == [rec.id for rec in recs[2:4]]

    neighbors = client.get_neighbors("i05", n=3)
    assert len(neighbors) == 3 and "i05" not in [n["Id"] for n in neighbors]
    assert {n["Id"] for n in neighbors} <= {"i03", "i04", "i06", "i07"}

    session = client.session_recommend([{"FeedbackType": "star", "UserId": "visitor", "ItemId": "i10",
                                         "Timestamp": "2022-03-03T00:00:00Z"}], n=4)
    assert 0 < len(session) <= 4
    assert "i10" not in [s["Id"] for s in session]
    assert {s["Id"] for s in session} & {"i08", "i09", "i11", "i12"}

    # Deletes, and errors as GorseException with the HTTP status.
    assert client.delete_feedback("u00", "i00") == {"RowAffected": 1}
    assert sorted(fb["ItemId"] for fb in client.list_feedbacks("star", "u00")) == ["i01", "i02"]
    assert client.delete_item("i14") == {"RowAffected": 1}
    with pytest.raises(gorse.GorseException) as missing:
        client.get_item("i14")
    assert missing.value.status_code == 404
    with pytest.raises(gorse.GorseException) as bad:
        client.insert_item({"ItemId": "bad", "Timestamp": 20220101})
    assert bad.value.status_code == 400 and "Timestamp" in bad.value.message
    with pytest.raises(gorse.GorseException) as unauthorized:
        gorse.Gorse(server, "wrong-key").get_user("u00")
    assert unauthorized.value.status_code == 401
    with pytest.raises(gorse.GorseException) as forbidden:
        gorse.Gorse(server, CLIENT_KEY).insert_user({"UserId": "x"})
    assert forbidden.value.status_code == 403
    assert gorse.Gorse(server, CLIENT_KEY).insert_feedback("star", "u05", "i09", "2022-03-04") == {"RowAffected": 1}


def test_gorsejs(server):
    """gorsejs drives the same server after test_pygorse (pytest keeps the file's
    order), so the users, items and model written there are in place; the script
    asserts and prints what it saw."""
    env = dict(os.environ, TAILOR_URL=server, TAILOR_ADMIN_KEY=ADMIN_KEY,
               TAILOR_GORSEJS_MODULES=str(GORSEJS_MODULES))
    result = subprocess.run(["node", str(HERE / "gorse_clients_test.js")], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["usersPaged"] >= len(USERS) and seen["feedbackPaged"] >= 3 * len(USERS) - 1
    assert seen["recommended"] and all(isinstance(item, str) for item in seen["recommended"])
