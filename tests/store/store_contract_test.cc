// Contract suite of tailor::store::Store: the same assertions run against
// every backend (today SQLite in a temporary directory). A new backend adds a
// StoreFactory to kBackends and must pass all of it.
#include <atomic>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sqlite_store.h"  // src/store: check_integrity
#include "store_test_util.h"
#include "tailor/store/store.h"

namespace tailor::store {
namespace {

using testing_util::error_code_of;
using testing_util::expect_event_eq;
using testing_util::expect_item_eq;
using testing_util::expect_user_eq;
using testing_util::make_event;
using testing_util::TempDir;

struct StoreFactory {
  std::string name;
  // Opens the store kept in `dir`, creating it the first time; opening the
  // same dir again reopens the same store.
  std::function<std::unique_ptr<Store>(const std::string& dir, const StoreOptions& options)> open;
  // Backend's own consistency check: one line per problem.
  std::function<std::vector<std::string>(Store& store)> integrity_problems;
};

// gtest prints parameters of failed tests; the name is what identifies one.
void PrintTo(const StoreFactory& factory, std::ostream* out) { *out << factory.name; }

StoreFactory sqlite_factory() {
  return {"sqlite",
          [](const std::string& dir, const StoreOptions& options) {
            return open_store("sqlite://" + dir + "/store.db", options);
          },
          [](Store& store) { return dynamic_cast<SqliteStore&>(store).check_integrity(); }};
}

class StoreContractTest : public testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override { store_ = open(); }

  std::unique_ptr<Store> open(const StoreOptions& options = {}) const { return GetParam().open(dir_.path(), options); }

  void expect_sound() {
    std::vector<std::string> problems = GetParam().integrity_problems(*store_);
    EXPECT_TRUE(problems.empty()) << problems.front();
  }

  void write(const std::function<void(StoreWriter&)>& body) {
    std::unique_ptr<StoreWriter> writer = store_->begin_write();
    body(*writer);
    writer->commit();
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

User chinese_user() {
  User user;
  user.id = "用户-42";
  user.attributes = {{"age", 34}, {"city", "上海"}, {"risk", {{"level", "低"}, {"score", 0.25}}}, {"vip", true}};
  user.labels = {"高净值", "new customer"};
  user.comment = "喜欢科幻电影 and jazz";
  user.created_at = 1'600'000'000;
  user.updated_at = 1'600'000'500;
  return user;
}

Item chinese_item() {
  Item item;
  item.id = "movie:肖申克的救赎";
  item.title = "肖申克的救赎 The Shawshank Redemption";
  item.description = "两个被囚禁的男人……\nTwo imprisoned men bond over a number of years.";
  item.categories = {"剧情", "Drama"};
  item.tags = {"经典", "prison"};
  item.price = 9.99;
  item.attributes = {{"year", 1994}, {"导演", "Frank Darabont"}, {"ratings", {4.5, 5}}};
  item.hidden = true;
  item.available = false;
  item.created_at = 1'500'000'000;
  item.updated_at = 1'500'000'001;
  return item;
}

TEST_P(StoreContractTest, FreshStoreIsEmpty) {
  EXPECT_EQ(store_->stats().users, 0u);
  EXPECT_EQ(store_->stats().events, 0u);
  EXPECT_FALSE(store_->get_user("nobody"));
  EXPECT_FALSE(store_->get_item("nothing"));
  EXPECT_FALSE(store_->user_index("nobody"));
  EXPECT_TRUE(store_->user_events("nobody").empty());
  EXPECT_TRUE(store_->list_users({}).empty());
  EXPECT_EQ(store_->backend(), GetParam().name);
  EXPECT_GE(store_->schema_version(), 1);
}

TEST_P(StoreContractTest, RoundTripsUsersItemsAndEventsWithChineseAndEnglishText) {
  const User user = chinese_user();
  const Item item = chinese_item();
  Item plain;
  plain.id = "book-1";
  plain.title = "Plain English";
  Event rating = make_event(user.id, item.id, "rating", 1'700'000'000, 4.5);
  rating.channel = "app";
  rating.context = {{"device", "手机"}, {"page", "home"}};
  Event view = make_event(user.id, plain.id, "view", 1'700'000'100);
  write([&](StoreWriter& writer) {
    writer.put_user(user);
    writer.put_item(item);
    writer.put_item(plain);
    EXPECT_TRUE(writer.put_event(rating));
    EXPECT_TRUE(writer.put_event(view));
  });

  std::optional<User> read_user = store_->get_user(user.id);
  ASSERT_TRUE(read_user);
  expect_user_eq(user, *read_user);
  std::optional<Item> read_item = store_->get_item(item.id);
  ASSERT_TRUE(read_item);
  expect_item_eq(item, *read_item);
  std::optional<Item> read_plain = store_->get_item(plain.id);
  ASSERT_TRUE(read_plain);
  expect_item_eq(plain, *read_plain);
  EXPECT_FALSE(read_plain->price);

  std::vector<Event> events = store_->user_events(user.id);
  ASSERT_EQ(events.size(), 2u);
  expect_event_eq(view, events[0]);  // newest first
  expect_event_eq(rating, events[1]);
  ASSERT_EQ(store_->user_events(user.id, 1).size(), 1u);
  EXPECT_EQ(store_->user_events(user.id, 1)[0].item_id, plain.id);
  expect_sound();
}

TEST_P(StoreContractTest, EventsCreateMissingUsersAndItemsWithEmptyFields) {
  write([](StoreWriter& writer) { EXPECT_TRUE(writer.put_event(make_event("u1", "i1", "click", 10))); });
  std::optional<User> user = store_->get_user("u1");
  ASSERT_TRUE(user);
  expect_user_eq(User{.id = "u1"}, *user);
  std::optional<Item> item = store_->get_item("i1");
  ASSERT_TRUE(item);
  expect_item_eq(Item{.id = "i1"}, *item);
  expect_sound();
}

TEST_P(StoreContractTest, PutItemUpsertsKeepingIndexAndCreationTime) {
  Item first = chinese_item();
  write([&](StoreWriter& writer) {
    writer.put_event(make_event("u0", "other", "view", 1));
    writer.put_item(first);
  });
  const std::optional<std::uint32_t> idx = store_->item_index(first.id);
  ASSERT_TRUE(idx);

  Item second;
  second.id = first.id;
  second.title = "新标题";
  second.categories = {"Crime"};
  second.created_at = 0;  // keep the stored creation time
  second.updated_at = 1'800'000'000;
  write([&](StoreWriter& writer) { writer.put_item(second); });
  std::optional<Item> read = store_->get_item(first.id);
  ASSERT_TRUE(read);
  Item expected = second;
  expected.created_at = first.created_at;
  expect_item_eq(expected, *read);
  EXPECT_EQ(store_->item_index(first.id), idx);
  EXPECT_EQ(store_->stats().items, 2u);

  User user = chinese_user();
  write([&](StoreWriter& writer) { writer.put_user(user); });
  User replaced;
  replaced.id = user.id;
  replaced.attributes = {{"only", "this"}};  // attributes are replaced whole
  replaced.created_at = 42;
  write([&](StoreWriter& writer) { writer.put_user(replaced); });
  std::optional<User> read_user = store_->get_user(user.id);
  ASSERT_TRUE(read_user);
  expect_user_eq(replaced, *read_user);
}

// An event's identity is (user, item, type, timestamp) plus
// data::event_fingerprint of its value, channel and context.
TEST_P(StoreContractTest, DuplicateEventsAreIgnoredAndReportedFalse) {
  auto tag = [](const std::string& text) {
    Event event = make_event("u", "i", "tag", 500);
    event.context = {{"tag", text}, {"source", "tags.csv"}};
    return event;
  };
  write([&](StoreWriter& writer) {
    EXPECT_TRUE(writer.put_event(make_event("u", "i", "rating", 100, 4)));
    EXPECT_FALSE(writer.put_event(make_event("u", "i", "rating", 100, 4)));  // exact repeat
    EXPECT_TRUE(writer.put_event(make_event("u", "i", "rating", 101, 4)));   // other time
    EXPECT_TRUE(writer.put_event(make_event("u", "i", "view", 100)));        // other type
    // Two tags on one movie in the same second are two events; the same tag twice is one.
    EXPECT_TRUE(writer.put_event(tag("funny")));
    EXPECT_TRUE(writer.put_event(tag("dark")));
    Event reordered = make_event("u", "i", "tag", 500);
    reordered.context = {{"source", "tags.csv"}, {"tag", "dark"}};
    EXPECT_FALSE(writer.put_event(reordered));
    Event other_channel = make_event("u", "i", "view", 100);
    other_channel.channel = "app";
    EXPECT_TRUE(writer.put_event(other_channel));
  });
  write([](StoreWriter& writer) {
    EXPECT_FALSE(writer.put_event(make_event("u", "i", "view", 100)));  // also across transactions
    EXPECT_TRUE(writer.put_event(make_event("u", "i", "view", 100, 2)));  // other value
  });
  EXPECT_EQ(store_->stats().events, 7u);
  std::vector<Event> events = store_->user_events("u");
  ASSERT_EQ(events.size(), 7u);
  std::multiset<std::string> tags;
  for (const Event& event : events)
    if (event.type == "tag") tags.insert(event.context.value("tag", ""));
  EXPECT_EQ(tags, (std::multiset<std::string>{"dark", "funny"}));
}

TEST_P(StoreContractTest, RollbackAndUncommittedWriterLeaveStoreUnchanged) {
  write([](StoreWriter& writer) {
    writer.put_event(make_event("u0", "i0", "view", 1));
    writer.put_artifact("model", "v1");
  });
  const StoreStats before = store_->stats();

  auto scribble = [](StoreWriter& writer) {
    writer.put_user(chinese_user());
    writer.put_item(chinese_item());
    writer.put_event(make_event("u1", "i1", "purchase", 2, 30));
    writer.put_event(make_event("u0", "i0", "view", 3));
    writer.delete_item("i0");
    writer.put_artifact("model", "v2");
  };
  {
    std::unique_ptr<StoreWriter> writer = store_->begin_write();
    scribble(*writer);
    writer->rollback();
    writer->rollback();  // idempotent
  }
  {
    std::unique_ptr<StoreWriter> writer = store_->begin_write();
    scribble(*writer);
  }  // destroyed without commit
  std::unique_ptr<Store> reopened = open();
  for (const Store* store : {store_.get(), reopened.get()}) {
    const StoreStats after = store->stats();
    EXPECT_EQ(after.users, before.users);
    EXPECT_EQ(after.items, before.items);
    EXPECT_EQ(after.events, before.events);
    EXPECT_EQ(after.events_by_type, before.events_by_type);
    EXPECT_FALSE(store->get_user(chinese_user().id));
    EXPECT_TRUE(store->get_item("i0"));
    EXPECT_EQ(store->get_artifact("model"), "v1");
  }
  // Indexes handed out by the discarded transactions are not burnt.
  write([](StoreWriter& writer) { writer.put_event(make_event("u-new", "i-new", "view", 4)); });
  EXPECT_EQ(store_->user_index("u-new"), 1u);
  EXPECT_EQ(store_->item_index("i-new"), 1u);
  expect_sound();
}

TEST_P(StoreContractTest, WriterCannotBeUsedAfterCommit) {
  std::unique_ptr<StoreWriter> writer = store_->begin_write();
  writer->put_event(make_event("u", "i", "view", 1));
  writer->commit();
  EXPECT_EQ(error_code_of([&] { writer->put_event(make_event("u", "i", "view", 2)); }), ErrorCode::kInternal);
  EXPECT_EQ(error_code_of([&] { writer->commit(); }), ErrorCode::kInternal);
  writer->rollback();  // no-op: the commit stands
  EXPECT_EQ(store_->stats().events, 1u);
}

TEST_P(StoreContractTest, DeletesCascadeToEvents) {
  write([](StoreWriter& writer) {
    for (int user = 0; user < 3; ++user)
      for (int item = 0; item < 4; ++item)
        writer.put_event(make_event("u" + std::to_string(user), "i" + std::to_string(item), "view", user * 10 + item));
  });
  ASSERT_EQ(store_->stats().events, 12u);
  const std::uint32_t u1 = *store_->user_index("u1");
  write([](StoreWriter& writer) {
    EXPECT_TRUE(writer.delete_user("u1"));
    EXPECT_FALSE(writer.delete_user("u1"));
    EXPECT_FALSE(writer.delete_user("never"));
    EXPECT_TRUE(writer.delete_item("i2"));
    EXPECT_FALSE(writer.delete_item("i2"));
  });
  EXPECT_FALSE(store_->get_user("u1"));
  EXPECT_FALSE(store_->get_item("i2"));
  EXPECT_TRUE(store_->user_events("u1").empty());
  EXPECT_EQ(store_->stats().events, 6u);  // 2 users x 3 items
  EXPECT_EQ(store_->stats().users, 2u);
  EXPECT_EQ(store_->stats().items, 3u);
  const std::uint32_t i2_was = 2;
  store_->scan_events([&](const StoredEvent& event) {
    EXPECT_NE(event.user_idx, u1);
    EXPECT_NE(event.item_idx, i2_was);
  });
  // The same id comes back as a new user with a new index.
  write([](StoreWriter& writer) { writer.put_event(make_event("u1", "i0", "view", 99)); });
  EXPECT_EQ(store_->user_index("u1"), 3u);
  EXPECT_EQ(store_->user_events("u1").size(), 1u);
  expect_sound();
}

TEST_P(StoreContractTest, DeleteInSameTransactionAsInsertsSeesThem) {
  write([](StoreWriter& writer) {
    writer.put_event(make_event("u", "i", "view", 1));
    EXPECT_TRUE(writer.delete_user("u"));
    EXPECT_TRUE(writer.put_event(make_event("u", "i", "view", 1)));  // recreated, not a duplicate
  });
  EXPECT_EQ(store_->stats().events, 1u);
  EXPECT_EQ(store_->user_index("u"), 1u);
  expect_sound();
}

TEST_P(StoreContractTest, ListsPageByIdWithCursor) {
  std::set<std::string> user_ids;
  std::set<std::string> item_ids;
  write([&](StoreWriter& writer) {
    for (int n = 0; n < 25; ++n) {
      // Inserted out of id order; ids include non-ASCII to pin byte ordering.
      std::string user_id = (n % 2 ? "u" : "用户") + std::to_string((n * 7) % 25);
      std::string item_id = "item-" + std::to_string((n * 11) % 25);
      writer.put_user(User{.id = user_id});
      writer.put_item(Item{.id = item_id, .title = "t" + std::to_string(n)});
      user_ids.insert(user_id);
      item_ids.insert(item_id);
    }
  });
  auto collect_users = [&](std::size_t limit) {
    std::vector<std::string> ids;
    Page page{.cursor = "", .limit = limit};
    for (int pages = 0; pages < 100; ++pages) {
      std::vector<User> users = store_->list_users(page);
      if (users.empty()) break;
      EXPECT_LE(users.size(), limit);
      for (const User& user : users) ids.push_back(user.id);
      page.cursor = users.back().id;
    }
    return ids;
  };
  const std::vector<std::string> expected_users(user_ids.begin(), user_ids.end());
  EXPECT_EQ(collect_users(10), expected_users);
  EXPECT_EQ(collect_users(1), expected_users);
  EXPECT_EQ(store_->list_users({.cursor = "", .limit = 0}).size(), user_ids.size());  // 0 = no limit

  std::vector<std::string> items;
  Page page{.cursor = "", .limit = 7};
  for (std::vector<Item> batch; !(batch = store_->list_items(page)).empty(); page.cursor = batch.back().id)
    for (const Item& item : batch) items.push_back(item.id);
  EXPECT_EQ(items, std::vector<std::string>(item_ids.begin(), item_ids.end()));
  EXPECT_TRUE(store_->list_items({.cursor = "zzz", .limit = 10}).empty());
}

TEST_P(StoreContractTest, StatsCountEverything) {
  write([](StoreWriter& writer) {
    writer.put_user(User{.id = "lonely"});
    writer.put_item(Item{.id = "unseen"});
    writer.put_event(make_event("a", "x", "view", 500));
    writer.put_event(make_event("a", "y", "view", 100));
    writer.put_event(make_event("b", "x", "purchase", 900, 20));
    writer.put_event(make_event("b", "x", "rating", -5, 3));  // before 1970 is allowed
  });
  const StoreStats stats = store_->stats();
  EXPECT_EQ(stats.users, 3u);
  EXPECT_EQ(stats.items, 3u);
  EXPECT_EQ(stats.events, 4u);
  EXPECT_EQ(stats.events_by_type, (std::map<std::string, std::uint64_t>{{"purchase", 1}, {"rating", 1}, {"view", 2}}));
  EXPECT_EQ(stats.first_event, -5);
  EXPECT_EQ(stats.last_event, 900);
}

TEST_P(StoreContractTest, ArtifactsStoreBinaryBytes) {
  std::string bytes("\x00\x01model\xff\x00tail", 13);
  write([&](StoreWriter& writer) { writer.put_artifact("als-v1", bytes); });
  EXPECT_EQ(store_->get_artifact("als-v1"), bytes);
  EXPECT_FALSE(store_->get_artifact("missing"));
  write([&](StoreWriter& writer) {
    writer.put_artifact("als-v1", "replaced");
    writer.put_artifact("empty", "");
  });
  EXPECT_EQ(store_->get_artifact("als-v1"), "replaced");
  EXPECT_EQ(store_->get_artifact("empty"), "");
}

TEST_P(StoreContractTest, IndexesAreDenseStableAndScannedInOrder) {
  write([](StoreWriter& writer) {
    writer.put_user(User{.id = "zeta"});
    writer.put_event(make_event("alpha", "item-b", "view", 1));
    writer.put_item(Item{.id = "item-a"});
    writer.put_event(make_event("mid", "item-a", "view", 2));
  });
  const std::vector<std::string> users = {"zeta", "alpha", "mid"};
  const std::vector<std::string> items = {"item-b", "item-a"};
  auto check = [&](const Store& store) {
    for (std::uint32_t idx = 0; idx < users.size(); ++idx) EXPECT_EQ(store.user_index(users[idx]), idx);
    for (std::uint32_t idx = 0; idx < items.size(); ++idx) EXPECT_EQ(store.item_index(items[idx]), idx);
    std::vector<std::string> scanned;
    store.scan_users([&](std::uint32_t idx, const User& user) {
      EXPECT_EQ(idx, scanned.size());
      EXPECT_EQ(store.user_index(user.id), idx);  // callbacks may call back into the store
      scanned.push_back(user.id);
    });
    EXPECT_EQ(scanned, users);
    scanned.clear();
    store.scan_items([&](std::uint32_t idx, const Item& item) {
      EXPECT_EQ(idx, scanned.size());
      scanned.push_back(item.id);
    });
    EXPECT_EQ(scanned, items);
  };
  check(*store_);
  store_.reset();
  store_ = open();
  check(*store_);
}

TEST_P(StoreContractTest, ScanEventsInStorageOrderWithNames) {
  write([](StoreWriter& writer) {
    writer.put_event(make_event("u1", "i0", "view", 5));
    writer.put_event(make_event("u0", "i1", "rating", 7, 3.5));
    writer.put_event(make_event("u0", "i0", "view", 9));
    Event with_channel = make_event("u0", "i0", "purchase", 8, 12.5);
    with_channel.channel = "store";
    writer.put_event(with_channel);
  });
  std::vector<StoredEvent> events;
  store_->scan_events([&](const StoredEvent& event) { events.push_back(event); });
  ASSERT_EQ(events.size(), 4u);
  // u1 and i0 got index 0 (first seen); within (user, item) the order is the
  // type's interned id (view < rating < purchase here), then the timestamp.
  auto key = [](const StoredEvent& event) { return std::pair(event.user_idx, event.item_idx); };
  for (std::size_t n = 1; n < events.size(); ++n) EXPECT_TRUE(key(events[n - 1]) <= key(events[n]));
  EXPECT_EQ(events[0].user_idx, 0u);
  EXPECT_EQ(events[0].type, "view");
  EXPECT_EQ(events[1].type, "view");
  EXPECT_EQ(events[2].type, "purchase");
  EXPECT_EQ(events[2].channel, "store");
  EXPECT_EQ(events[2].value, 12.5);
  EXPECT_EQ(events[3].type, "rating");
  EXPECT_EQ(events[3].item_idx, 1u);
}

TEST_P(StoreContractTest, ReopenKeepsEverything) {
  write([](StoreWriter& writer) {
    writer.put_user(chinese_user());
    writer.put_item(chinese_item());
    Event event = make_event(chinese_user().id, chinese_item().id, "like", 77);
    event.context = {{"campaign", "春节"}};
    writer.put_event(event);
    writer.put_artifact("model", "bytes");
  });
  const StoreStats before = store_->stats();
  const std::vector<Event> events_before = store_->user_events(chinese_user().id);
  store_.reset();
  store_ = open();
  const StoreStats after = store_->stats();
  EXPECT_EQ(after.users, before.users);
  EXPECT_EQ(after.items, before.items);
  EXPECT_EQ(after.events, before.events);
  EXPECT_EQ(after.events_by_type, before.events_by_type);
  expect_user_eq(chinese_user(), *store_->get_user(chinese_user().id));
  expect_item_eq(chinese_item(), *store_->get_item(chinese_item().id));
  const std::vector<Event> events_after = store_->user_events(chinese_user().id);
  ASSERT_EQ(events_after.size(), 1u);
  expect_event_eq(events_before[0], events_after[0]);
  EXPECT_EQ(store_->get_artifact("model"), "bytes");
  // Writing continues where it stopped.
  write([](StoreWriter& writer) { writer.put_event(make_event("next", "next", "view", 1)); });
  EXPECT_EQ(store_->user_index("next"), 1u);
  EXPECT_EQ(store_->item_index("next"), 1u);
  expect_sound();
}

TEST_P(StoreContractTest, InvalidInputIsRefusedWithNothingWritten) {
  std::unique_ptr<StoreWriter> writer = store_->begin_write();
  std::string message;
  EXPECT_EQ(error_code_of([&] { writer->put_user(User{.id = ""}); }, &message), ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("user.id"), std::string::npos) << message;
  EXPECT_EQ(error_code_of([&] { writer->put_item(Item{.id = std::string(257, 'x')}); }, &message),
            ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("item.id"), std::string::npos) << message;
  // The valid user of a bad event must not be created.
  EXPECT_EQ(error_code_of([&] { writer->put_event(make_event("fresh-user", "", "view", 1)); }, &message),
            ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("event.item_id"), std::string::npos) << message;
  EXPECT_EQ(error_code_of([&] { writer->put_event(make_event("fresh-user", "i", "", 1)); }, &message),
            ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("event.type"), std::string::npos) << message;
  EXPECT_EQ(error_code_of([&] { writer->put_event(make_event("fresh-user", "i", "view", 1, std::nan(""))); },
                          &message),
            ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("event.value"), std::string::npos) << message;
  Event bad_context = make_event("fresh-user", "i", "view", 1);
  bad_context.context = {{"text", "\xff\xfe not utf-8"}};
  EXPECT_EQ(error_code_of([&] { writer->put_event(bad_context); }, &message), ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("event.context"), std::string::npos) << message;
  User bad_attributes{.id = "ok-user"};
  bad_attributes.attributes = data::Json::array({1, 2});
  EXPECT_EQ(error_code_of([&] { writer->put_user(bad_attributes); }, &message), ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("user.attributes"), std::string::npos) << message;
  EXPECT_EQ(error_code_of([&] { writer->put_artifact("", "x"); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { writer->delete_user(""); }), ErrorCode::kInvalidArgument);

  // Refused input does not spoil the transaction.
  EXPECT_TRUE(writer->put_event(make_event("good", std::string(256, 'i'), "view", 1)));
  writer->commit();
  EXPECT_FALSE(store_->user_index("fresh-user"));
  EXPECT_FALSE(store_->user_index("ok-user"));
  EXPECT_FALSE(store_->item_index("i"));
  EXPECT_EQ(store_->stats().users, 1u);
  EXPECT_EQ(store_->stats().events, 1u);
  expect_sound();
}

TEST_P(StoreContractTest, ReadersSeeOnlyCommittedDataWhileAWriterIsOpen) {
  write([](StoreWriter& writer) {
    for (int n = 0; n < 10; ++n) writer.put_event(make_event("base", "i" + std::to_string(n), "view", n));
  });
  std::unique_ptr<Store> other = open();  // as another process would see it
  std::unique_ptr<StoreWriter> writer = store_->begin_write();
  constexpr int kPending = 2000;
  for (int n = 0; n < kPending; ++n) writer->put_event(make_event("new", "i" + std::to_string(n % 50), "view", n));

  std::atomic<bool> committed{false};
  std::atomic<bool> stop{false};
  std::atomic<int> reads_after_commit{0};
  std::atomic<int> bad_reads{0};
  std::vector<std::thread> readers;
  for (int thread = 0; thread < 4; ++thread) {
    readers.emplace_back([&, thread] {
      const Store& store = thread % 2 ? *other : *store_;
      while (!stop) {
        const bool was_committed = committed;
        const std::uint64_t events = store.stats().events;
        const std::size_t new_events = store.user_events("new").size();
        // All or nothing, and never going back once the commit has returned.
        if (events != 10 && events != 10 + kPending) ++bad_reads;
        if (new_events != 0 && new_events != kPending) ++bad_reads;
        if (was_committed && (events != 10 + kPending || new_events != kPending)) ++bad_reads;
        if (was_committed) ++reads_after_commit;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(store_->stats().events, 10u);
  EXPECT_FALSE(other->user_index("new"));
  writer->commit();
  committed = true;
  while (reads_after_commit < 8) std::this_thread::yield();
  stop = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(bad_reads, 0);
  EXPECT_EQ(other->stats().events, 10u + kPending);
}

TEST_P(StoreContractTest, SecondWriterWaitsThenIsUnavailable) {
  StoreOptions options;
  options.busy_timeout_ms = 100;
  store_ = open(options);
  std::unique_ptr<Store> other = open(options);
  std::unique_ptr<StoreWriter> first = store_->begin_write();
  first->put_event(make_event("u", "i", "view", 1));
  for (Store* store : {store_.get(), other.get()}) {
    const auto start = std::chrono::steady_clock::now();
    std::string message;
    EXPECT_EQ(error_code_of([&] { store->begin_write(); }, &message), ErrorCode::kUnavailable);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(80)) << "did not wait";
    EXPECT_NE(message.find("busy"), std::string::npos) << message;
  }
  first->commit();
  std::unique_ptr<StoreWriter> second = other->begin_write();
  EXPECT_FALSE(second->put_event(make_event("u", "i", "view", 1)));
  second->commit();
}

TEST_P(StoreContractTest, WritersInSequenceAcrossStoresKeepIdsConsistent) {
  std::unique_ptr<Store> other = open();
  write([](StoreWriter& writer) { writer.put_event(make_event("u", "i", "view", 1)); });
  // The other store deletes and recreates ids the first writer's cache knows.
  {
    std::unique_ptr<StoreWriter> writer = other->begin_write();
    EXPECT_TRUE(writer->delete_user("u"));
    EXPECT_TRUE(writer->delete_item("i"));
    writer->commit();
  }
  write([](StoreWriter& writer) { EXPECT_TRUE(writer.put_event(make_event("u", "i", "view", 1))); });
  EXPECT_EQ(store_->user_index("u"), 1u);
  EXPECT_EQ(store_->item_index("i"), 1u);
  EXPECT_EQ(store_->user_events("u").size(), 1u);
  expect_sound();
}

TEST_P(StoreContractTest, ItemEventsAndPairDeletes) {
  write([](StoreWriter& writer) {
    writer.put_event(make_event("u1", "i1", "view", 10));
    writer.put_event(make_event("u2", "i1", "like", 30));
    writer.put_event(make_event("u1", "i1", "like", 20));
    writer.put_event(make_event("u1", "i2", "like", 40));
  });
  const auto on_i1 = store_->item_events("i1");
  ASSERT_EQ(on_i1.size(), 3u);
  EXPECT_EQ(on_i1[0].timestamp, 30);  // newest first
  EXPECT_EQ(on_i1[0].user_id, "u2");
  EXPECT_EQ(on_i1[2].item_id, "i1");
  EXPECT_EQ(store_->item_events("i1", 1).size(), 1u);
  EXPECT_TRUE(store_->item_events("never").empty());
  write([](StoreWriter& writer) {
    EXPECT_EQ(writer.delete_events("u1", "i1", "like"), 1u);
    EXPECT_EQ(writer.delete_events("u1", "i1", "unknown-type"), 0u);
    EXPECT_EQ(writer.delete_events("nobody", "i1", ""), 0u);
  });
  EXPECT_EQ(store_->item_events("i1").size(), 2u);
  write([](StoreWriter& writer) { EXPECT_EQ(writer.delete_events("u1", "i1", ""), 1u); });
  EXPECT_EQ(store_->item_events("i1").size(), 1u);
  EXPECT_EQ(store_->user_events("u1").size(), 1u);  // the like on i2 is untouched
  EXPECT_TRUE(store_->get_user("u1"));              // rows stay; only events go
  expect_sound();
}

TEST_P(StoreContractTest, ListEventsPagesInKeyOrderWithTypeFilter) {
  write([](StoreWriter& writer) {
    for (int user = 0; user < 5; ++user)
      for (int item = 0; item < 3; ++item)
        for (const char* type : {"view", "like"})
          writer.put_event(make_event("u" + std::to_string(user), "i" + std::to_string(item), type, 100 + item));
  });
  std::vector<PagedEvent> all;
  EventPage page{"", "", 4};
  for (int pages = 0; pages < 20; ++pages) {
    auto batch = store_->list_events(page);
    all.insert(all.end(), batch.begin(), batch.end());
    if (batch.size() < page.limit) break;
    page.after = batch.back().position;
  }
  ASSERT_EQ(all.size(), 30u);
  std::set<std::string> positions;
  for (std::size_t pos = 0; pos < all.size(); ++pos) {
    positions.insert(all[pos].position);
    if (pos == 0) continue;
    // Events of one (user, item, type) are adjacent: a key never comes back after another.
    const auto& a = all[pos - 1].event;
    const auto& b = all[pos].event;
    const bool same_pair = a.user_id == b.user_id && a.item_id == b.item_id;
    if (!same_pair) {
      for (std::size_t later = pos; later < all.size(); ++later)
        EXPECT_FALSE(all[later].event.user_id == a.user_id && all[later].event.item_id == a.item_id);
    }
  }
  EXPECT_EQ(positions.size(), 30u);
  EXPECT_EQ(all[0].event.timestamp, 100);
  const auto likes = store_->list_events({"", "like", 100});
  EXPECT_EQ(likes.size(), 15u);
  for (const auto& paged : likes) EXPECT_EQ(paged.event.type, "like");
  EXPECT_TRUE(store_->list_events({all.back().position, "", 10}).empty());
  EXPECT_EQ(error_code_of([&] { store_->list_events({"not-a-position", "", 10}); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { store_->list_events({"1:2:3:4", "", 10}); }), ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------- records ---

Record make_record(std::string collection, std::string key, std::string user, Timestamp ts, std::string body) {
  return {std::move(collection), std::move(key), std::move(user), ts, std::move(body)};
}

std::vector<std::string> keys_of(const std::vector<Record>& records) {
  std::vector<std::string> keys;
  for (const auto& record : records) keys.push_back(record.key);
  return keys;
}

TEST_P(StoreContractTest, RecordsRoundTripAndReplace) {
  write([](StoreWriter& writer) {
    writer.put_record(make_record("consent", "用户-1/email", "用户-1", 100, R"({"state":"opted_in","来源":"表单"})"));
    writer.put_record(make_record("campaign", "c1", "", 50, R"({"name":"春季促销"})"));
  });
  auto got = store_->get_record("consent", "用户-1/email");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user, "用户-1");
  EXPECT_EQ(got->ts, 100);
  EXPECT_EQ(nlohmann::json::parse(got->body)["来源"], "表单");
  EXPECT_FALSE(store_->get_record("consent", "nobody/email"));
  EXPECT_FALSE(store_->get_record("campaign", "用户-1/email"));  // keys are per collection
  write([](StoreWriter& writer) {
    writer.put_record(make_record("consent", "用户-1/email", "用户-1", 200, R"({"state":"unsubscribed"})"));
  });
  got = store_->get_record("consent", "用户-1/email");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->ts, 200);
  EXPECT_EQ(nlohmann::json::parse(got->body)["state"], "unsubscribed");
  EXPECT_EQ(store_->count_records({"consent"}), 1u);
  EXPECT_EQ(store_->count_records({}), 2u);
  expect_sound();
}

TEST_P(StoreContractTest, RecordQueriesFilterByUserPrefixTimeAndPage) {
  write([](StoreWriter& writer) {
    for (int idx = 0; idx < 10; ++idx) {
      const std::string user = idx % 2 == 0 ? "even" : "odd";
      writer.put_record(make_record("message", record_time_key(1000 + idx, std::to_string(idx)), user, 1000 + idx,
                                    "{\"n\":" + std::to_string(idx) + "}"));
    }
    writer.put_record(make_record("message", "zz-nobody", "", 5, "{}"));
    writer.put_record(make_record("other", "a", "even", 1003, "{}"));
  });
  RecordQuery all{"message"};
  auto records = store_->list_records(all);
  ASSERT_EQ(records.size(), 11u);
  for (std::size_t pos = 0; pos + 2 < records.size(); ++pos)  // time keys list in time order
    EXPECT_LT(records[pos].ts, records[pos + 1].ts);

  RecordQuery even{"message"};
  even.user = "even";
  EXPECT_EQ(store_->list_records(even).size(), 5u);
  EXPECT_EQ(store_->count_records(even), 5u);

  RecordQuery window{"message"};
  window.since = 1002;
  window.until = 1005;
  records = store_->list_records(window);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records.front().ts, 1002);
  EXPECT_EQ(records.back().ts, 1004);

  RecordQuery nobody{"message"};
  nobody.any_user = false;
  EXPECT_EQ(keys_of(store_->list_records(nobody)), std::vector<std::string>{"zz-nobody"});

  RecordQuery prefix{"message"};
  prefix.key_prefix = "zz";
  EXPECT_EQ(store_->count_records(prefix), 1u);

  // Paging by key visits every record once.
  std::vector<std::string> paged;
  RecordQuery page{"message"};
  page.limit = 3;
  for (;;) {
    auto batch = store_->list_records(page);
    if (batch.empty()) break;
    EXPECT_LE(batch.size(), 3u);
    for (const auto& record : batch) paged.push_back(record.key);
    page.after_key = batch.back().key;
  }
  EXPECT_EQ(paged, keys_of(store_->list_records(all)));

  // An empty collection scans every collection, ordered by (collection, key).
  std::vector<std::string> everything;
  RecordQuery of_even;
  of_even.user = "even";
  store_->scan_records(of_even, [&](const Record& record) { everything.push_back(record.collection); });
  EXPECT_EQ(everything.size(), 6u);
  EXPECT_EQ(everything.back(), "other");
  EXPECT_EQ(error_code_of([&] { store_->list_records({}); }), ErrorCode::kInvalidArgument);
}

TEST_P(StoreContractTest, RecordDeletesByKeyQueryAndUser) {
  write([](StoreWriter& writer) {
    for (int idx = 0; idx < 6; ++idx)
      writer.put_record(make_record("exposure", "e" + std::to_string(idx), idx < 4 ? "u1" : "u2", idx, "{}"));
    writer.put_record(make_record("chat", "s1", "u1", 3, "{}"));
  });
  std::size_t removed = 0;
  bool one = false;
  write([&](StoreWriter& writer) {
    one = writer.delete_record("exposure", "e5");
    RecordQuery old{"exposure"};
    old.until = 2;  // retention: everything before t=2
    removed = writer.delete_records(old);
  });
  EXPECT_TRUE(one);
  EXPECT_EQ(removed, 2u);
  EXPECT_EQ(keys_of(store_->list_records({"exposure"})), (std::vector<std::string>{"e2", "e3", "e4"}));
  // Erasure: every collection's records about u1.
  write([&](StoreWriter& writer) {
    RecordQuery of_user;
    of_user.user = "u1";
    removed = writer.delete_records(of_user);
    EXPECT_FALSE(writer.delete_record("exposure", "e5"));
  });
  EXPECT_EQ(removed, 3u);
  EXPECT_EQ(store_->count_records({}), 1u);
  // Deleting with no collection and no user would wipe everything: refused.
  auto writer = store_->begin_write();
  EXPECT_EQ(error_code_of([&] { writer->delete_records({}); }), ErrorCode::kInvalidArgument);
  writer->rollback();
  expect_sound();
}

TEST_P(StoreContractTest, RecordWritesAreValidatedAndAtomic) {
  auto writer = store_->begin_write();
  writer->put_record(make_record("campaign", "ok", "", 1, "{}"));
  EXPECT_EQ(error_code_of([&] { writer->put_record(make_record("Campaign", "k", "", 1, "{}")); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { writer->put_record(make_record("campaign", "", "", 1, "{}")); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code_of([&] { writer->put_record(make_record("campaign", "k", "", 1, "{not json")); }),
            ErrorCode::kInvalidArgument);
  writer->rollback();
  // Nothing of a rolled back writer is visible.
  EXPECT_EQ(store_->count_records({}), 0u);
  // A validation failure does not poison the writer: later records still commit.
  write([](StoreWriter& w) {
    EXPECT_THROW(w.put_record(make_record("campaign", "k", "", 1, "[")), Error);
    w.put_record(make_record("campaign", "k", "", 1, "[1]"));
  });
  EXPECT_EQ(store_->count_records({"campaign"}), 1u);
  // Survives reopening.
  store_.reset();
  store_ = open();
  EXPECT_TRUE(store_->get_record("campaign", "k"));
}

TEST(RecordTimeKey, SortsByTimeIncludingNegativeTimes) {
  std::vector<Timestamp> times = {-5'000'000'000, -1, 0, 1, 1'700'000'000, 4'000'000'000};
  for (std::size_t pos = 0; pos + 1 < times.size(); ++pos)
    EXPECT_LT(record_time_key(times[pos], "z"), record_time_key(times[pos + 1], "a"));
  EXPECT_EQ(record_time_key(0, "x"), "8000000000000000-x");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest, testing::Values(sqlite_factory()),
                         [](const testing::TestParamInfo<StoreFactory>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace tailor::store
