// gorsejs 0.4.8 (npm, unchanged) against `tailor serve`'s Gorse-compatible API.
// Run by tests/server/gorse_clients_test.py after its PyGorse test has written
// users u00..u19, items i00..i14 (stars: user k on items k, k+1, k+2 mod 15) and
// trained a model. Env: TAILOR_URL, TAILOR_ADMIN_KEY, TAILOR_GORSEJS_MODULES.
// Asserts with node:assert (exit code 1 on failure) and prints one JSON line of
// what it saw for the Python side.
"use strict";
const assert = require("node:assert/strict");
const path = require("node:path");

const { Gorse, GorseException } = require(path.join(process.env.TAILOR_GORSEJS_MODULES, "gorsejs"));

async function pageThrough(fetch, key) {
  // gorsejs sends the cursor as `Cursor` and reads `Feedbacks` for feedback pages.
  const rows = [];
  let cursor = "";
  for (let pages = 0; pages < 100; pages++) {
    const page = await fetch({ n: 7, Cursor: cursor });
    assert.ok(page[key].length <= 7);
    rows.push(...page[key]);
    cursor = page.Cursor;
    if (cursor === "") return rows;
  }
  throw new Error("paging does not end");
}

async function expectStatus(promise, status) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof GorseException, String(error));
    assert.equal(error.code, status, JSON.stringify(error.message));
    return true;
  });
}

async function main() {
  const client = new Gorse({ endpoint: process.env.TAILOR_URL, secret: process.env.TAILOR_ADMIN_KEY });

  // Users.
  assert.equal(await client.insertUser({ UserId: "js-1", Labels: ["js"], Comment: "from gorsejs" }), 1);
  assert.equal(await client.insertUsers([{ UserId: "js-2" }, { UserId: "js-3", Labels: ["a", "b"] }]), 2);
  assert.deepEqual(await client.getUser("js-1"), { UserId: "js-1", Labels: ["js"], Comment: "from gorsejs" });
  assert.equal(await client.updateUser("js-1", { UserId: "js-1", Comment: "patched" }), 1);
  assert.equal((await client.getUser("js-1")).Comment, "patched");
  const users = await pageThrough((options) => client.getUsers(options), "Users");
  const userIds = users.map((user) => user.UserId);
  assert.equal(new Set(userIds).size, userIds.length, "a user came twice");
  for (const id of ["u00", "u19", "js-1", "js-3"]) assert.ok(userIds.includes(id), id);

  // Items, with a Date as Timestamp (serialised with milliseconds).
  const stamp = new Date(Date.UTC(2023, 4, 6, 7, 8, 9));
  assert.equal(await client.upsertItem({ ItemId: "js-item", IsHidden: false, Timestamp: stamp, Categories: ["js"],
                                         Comment: "a gorsejs item" }), 1);
  assert.equal(await client.upsertItems([{ ItemId: "js-item-2", IsHidden: true, Timestamp: "2023-05-07" }]), 1);
  assert.deepEqual(await client.getItem("js-item"), { ItemId: "js-item", IsHidden: false, Categories: ["js"],
                                                      Timestamp: "2023-05-06T07:08:09Z", Labels: null,
                                                      Comment: "a gorsejs item" });
  assert.equal(await client.updateItem("js-item", { Comment: "changed" }), 1);
  assert.equal((await client.getItem("js-item")).Comment, "changed");
  assert.equal(await client.insertItemCategory("js-item", "extra"), 1);
  assert.deepEqual((await client.getItem("js-item")).Categories, ["js", "extra"]);
  assert.equal(await client.deleteItemCategory("js-item", "js"), 1);
  assert.deepEqual((await client.getItem("js-item")).Categories, ["extra"]);
  const items = await pageThrough((options) => client.getItems(options), "Items");
  assert.ok(items.some((item) => item.ItemId === "i00") && items.some((item) => item.ItemId === "js-item-2"));

  // Feedback.
  assert.equal(await client.insertFeedbacks([
    { FeedbackType: "like", UserId: "js-1", ItemId: "i03", Timestamp: stamp },
    { FeedbackType: "like", UserId: "js-1", ItemId: "i04", Timestamp: "2023-05-06" },
  ]), 2);
  assert.equal(await client.upsertFeedbacks([{ FeedbackType: "like", UserId: "js-1", ItemId: "i04",
                                               Timestamp: "2023-06-01T00:00:00Z" }]), 1);
  const like = await client.getFeedback({ type: "like", userId: "js-1", itemId: "i04" });
  assert.equal(like.Timestamp, "2023-06-01T00:00:00Z");
  assert.equal((await client.getUserFeedback("js-1")).length, 2);
  assert.equal((await client.getUserFeedbackByType("js-1", "like")).length, 2);
  assert.ok((await client.getItemFeedback("i03")).some((fb) => fb.UserId === "js-1"));
  assert.equal((await client.getItemFeedbackByType("i03", "like")).length, 1);
  const feedback = await pageThrough((options) => client.getFeedbacks(undefined, options), "Feedbacks");
  const keys = new Set(feedback.map((fb) => `${fb.FeedbackType}|${fb.UserId}|${fb.ItemId}`));
  assert.equal(keys.size, feedback.length, "a feedback came twice");
  assert.ok(keys.has("like|js-1|i03") && keys.has("star|u00|i01"));
  const likes = await pageThrough((options) => client.getFeedbacks("like", options), "Feedbacks");
  assert.equal(likes.length, 2);
  // deleteFeedback resolves to the whole Success object, unlike the other deletes.
  assert.deepEqual(await client.deleteFeedback({ type: "like", userId: "js-1", itemId: "i03" }), { RowAffected: 1 });

  // Recommendations: gorsejs 0.4.8 sends no X-API-Version, so ids come back.
  const recommended = await client.getRecommend({ userId: "u00", cursorOptions: { n: 3 } });
  assert.ok(recommended.length > 0 && recommended.length <= 3);
  for (const id of recommended) assert.equal(typeof id, "string");
  for (const seen of ["i01", "i02"]) assert.ok(!recommended.includes(seen), seen);
  const odd = await client.getRecommend({ userId: "u00", category: "odd", cursorOptions: { n: 5 } });
  for (const id of odd) assert.equal(Number(id.slice(1)) % 2, 1, id);
  const neighbors = await client.getItemNeighbors({ itemId: "i05", cursorOptions: { n: 3 } });
  assert.equal(neighbors.length, 3);
  assert.ok(!neighbors.some((score) => score.Id === "i05"));
  const userNeighbors = await client.getUserNeighbors({ userId: "u00", cursorOptions: { n: 3 } });
  assert.ok(userNeighbors.some((score) => score.Id === "u15"), JSON.stringify(userNeighbors));  // same three items
  const popular = await client.getPopular({ cursorOptions: { n: 3 } });
  assert.equal(popular.length, 3);
  assert.ok(popular[0].Score >= popular[2].Score);
  const latest = await client.getLatest({ cursorOptions: { n: 2 } });
  // js-item (2023-05-06) is the newest; js-item-2 is hidden; i14 was deleted by the PyGorse test.
  assert.deepEqual(latest.map((score) => score.Id), ["js-item", "i13"]);
  const session = await client.getSessionRecommend(
    [{ FeedbackType: "star", UserId: "visitor", ItemId: "i10", Timestamp: stamp }], { cursorOptions: { n: 3 } });
  assert.ok(session.length > 0 && !session.some((score) => score.Id === "i10"));

  // Deletes and errors.
  assert.equal(await client.deleteItem("js-item-2"), 1);
  await expectStatus(client.getItem("js-item-2"), 404);
  assert.equal(await client.deleteUser("js-3"), 1);
  await expectStatus(client.getUser("js-3"), 404);
  await expectStatus(client.upsertItem({ ItemId: "js-bad", IsHidden: "no", Timestamp: "2023-01-01" }), 400);
  await expectStatus(new Gorse({ endpoint: process.env.TAILOR_URL, secret: "wrong" }).getUser("u00"), 401);

  console.log(JSON.stringify({ usersPaged: users.length, feedbackPaged: feedback.length, recommended }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
