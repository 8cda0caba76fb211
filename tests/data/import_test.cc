// import_file with cleaning: every bad row counted under the right reason and
// line, strict mode failing with file, line and field, clip vs reject,
// missing-value policies, time zones, duplicates, last-wins items, mappings.
#include <gtest/gtest.h>

#include "tailor/data/import.h"
#include "test_util.h"

namespace tailor::data {
namespace {

using testing::CountingSink;
using testing::TempDir;
using testing::VectorSink;

// 2018-06-17T02:00:00Z; 1529193600 is midnight of that day.
constexpr Timestamp kJune17_2am = 1529200800;

// One good or bad row per line; the comment after each says what it must become.
const char* kMessyEvents =
    "user_id,item_id,type,value,timestamp,channel,note\n"
    "u1,i1,rating,4,2018-06-17T10:00:00+08:00,web,\n"             // 2 ok, +08:00 -> 02:00Z
    "u1,i2,click,,1529193600,app,\n"                               // 3 ok, value defaults to 1
    "u2,i1,rating,4.5,not-a-date,web,\n"                           // 4 invalid_timestamp
    ",i3,click,1,1529193600,web,\n"                                // 5 missing_user
    "u3,i1,rating,7,1529193600,web,\n"                             // 6 rating_out_of_range
    "u3,i2,purchase,1,1529193600\n"                                // 7 wrong_field_count
    "u4,i1,teleport,1,1529193600,web,\n"                           // 8 unknown_event_type
    "u1,i1,rating,4,2018-06-16T21:00:00-05:00,web,\n"              // 9 duplicate of line 2 (same instant, value, channel)
    "u5,i4,view,abc,1529193600,web,\n"                             // 10 invalid_value
    "u6,\"i5\",like,1,1529193600000,\"web\",\"two\nlines\"\n"      // 11-12 ok, ms timestamp, note
    "u7,i6,view,1,1529193601,web,42\n"                             // 13 ok, note is a number
    "u8,i7,view,1,4102444800,web,\n"                               // 14 future_timestamp (2100)
    "u9,i8,view,1,1529193600,web,\"\xE5\x8C\x97\xE4\xBA\xAC\xE3\x80\x80 Cafe\xCC\x81  \"\n";  // 15 ok

std::uint64_t reason(const ImportReport& report, const std::string& key) {
  auto it = report.rejected_by_reason.find(key);
  return it == report.rejected_by_reason.end() ? 0 : it->second;
}

const RejectedRow* example_at(const ImportReport& report, std::uint64_t line) {
  for (const RejectedRow& row : report.examples)
    if (row.line == line) return &row;
  return nullptr;
}

TEST(ImportFile, MessyCsvKeepsGoodRowsAndCountsEveryBadOne) {
  TempDir dir;
  auto path = dir.write("events.csv", kMessyEvents);
  VectorSink sink;
  ImportReport report = import_file(path, FileFormat::kCsv, ColumnMapping{}, ImportPolicy{}, sink);

  EXPECT_EQ(report.rows_read, 13u);
  ASSERT_EQ(sink.events.size(), 5u);
  EXPECT_EQ(report.events, 5u);
  EXPECT_EQ(report.duplicates, 1u);
  EXPECT_EQ(report.rejected(), 7u);
  EXPECT_EQ(reason(report, "invalid_timestamp"), 1u);
  EXPECT_EQ(reason(report, "missing_user"), 1u);
  EXPECT_EQ(reason(report, "rating_out_of_range"), 1u);
  EXPECT_EQ(reason(report, "wrong_field_count"), 1u);
  EXPECT_EQ(reason(report, "unknown_event_type"), 1u);
  EXPECT_EQ(reason(report, "invalid_value"), 1u);
  EXPECT_EQ(reason(report, "future_timestamp"), 1u);

  struct Expect {
    std::uint64_t line;
    const char* field;
    const char* reason_part;
  };
  for (const Expect& e : {Expect{4, "timestamp", "not-a-date"}, Expect{5, "user", "missing"},
                          Expect{6, "value", "rating 7 outside [0.5, 5]"}, Expect{7, "", "expected 7 fields, got 5"},
                          Expect{8, "type", "teleport"}, Expect{10, "value", "abc"},
                          Expect{14, "timestamp", "2100-01-01"}}) {
    const RejectedRow* row = example_at(report, e.line);
    ASSERT_NE(row, nullptr) << "no example for line " << e.line;
    EXPECT_EQ(row->file, path);
    EXPECT_EQ(row->field, e.field) << "line " << e.line;
    EXPECT_NE(row->reason.find(e.reason_part), std::string::npos) << row->reason;
  }

  const Event& first = sink.events[0];
  EXPECT_EQ(first.user_id, "u1");
  EXPECT_EQ(first.timestamp, kJune17_2am);
  EXPECT_EQ(first.value, 4.0);
  EXPECT_EQ(first.channel, "web");
  EXPECT_TRUE(first.context.empty());  // blank note is not stored
  EXPECT_EQ(sink.events[1].value, 1.0);
  EXPECT_EQ(sink.events[1].type, "click");
  EXPECT_EQ(sink.events[2].timestamp, 1529193600);  // milliseconds scaled
  EXPECT_EQ(sink.events[2].context["note"], "two lines");
  EXPECT_EQ(sink.events[3].context["note"], 42);
  // Chinese intact, ideographic space folded, decomposed é composed, trimmed.
  EXPECT_EQ(sink.events[4].context["note"], "\xE5\x8C\x97\xE4\xBA\xAC Caf\xC3\xA9");
}

TEST(ImportFile, StrictModeThrowsOnTheFirstBadRowNamingLineAndField) {
  TempDir dir;
  auto path = dir.write("events.csv", kMessyEvents);
  VectorSink sink;
  ImportPolicy policy;
  policy.on_error = OnError::kStrict;
  bool committed = false;
  try {
    import_file(path, FileFormat::kCsv, ColumnMapping{}, policy, sink);
    committed = true;  // what a caller does when import returns normally
    FAIL() << "strict import of a bad file returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(path + ":4: field 'timestamp'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(committed);
  EXPECT_EQ(sink.events.size(), 2u);  // handed over before line 4, never committed
}

TEST(ImportFile, ClipInsteadOfReject) {
  TempDir dir;
  auto events = dir.write("e.csv",
                          "user_id,item_id,type,value,timestamp\n"
                          "u1,i1,rating,7,1529193600\n"
                          "u1,i2,rating,0,1529193600\n"
                          "u1,i3,view,1,4102444800\n");
  auto items = dir.write("i.csv", "item_id,title,price\ni1,Negative,-3\ni2,Fine,2.5\n");
  ImportPolicy policy;
  policy.out_of_range = OutOfRange::kClip;
  VectorSink sink;
  ImportReport report = import_file(events, FileFormat::kCsv, ColumnMapping{}, policy, sink);
  EXPECT_EQ(report.rejected(), 0u);
  EXPECT_EQ(report.clipped, 3u);
  ASSERT_EQ(sink.events.size(), 3u);
  EXPECT_EQ(sink.events[0].value, 5.0);
  EXPECT_EQ(sink.events[1].value, 0.5);
  EXPECT_LE(sink.events[2].timestamp, now_seconds());

  ColumnMapping item_mapping;
  item_mapping.entity = "items";
  VectorSink item_sink;
  report = import_file(items, FileFormat::kCsv, item_mapping, policy, item_sink);
  EXPECT_EQ(report.clipped, 1u);
  ASSERT_EQ(item_sink.items.size(), 2u);
  EXPECT_EQ(item_sink.items[0].price, 0.0);

  policy.out_of_range = OutOfRange::kReject;
  VectorSink reject_sink;
  report = import_file(items, FileFormat::kCsv, item_mapping, policy, reject_sink);
  EXPECT_EQ(reason(report, "negative_price"), 1u);
  ASSERT_EQ(reject_sink.items.size(), 1u);
  EXPECT_EQ(reject_sink.items[0].price, 2.5);
}

TEST(ImportFile, MissingValuePolicies) {
  TempDir dir;
  auto path = dir.write("m.csv",
                        "user_id,item_id,value,timestamp,channel\n"
                        "u1,i1,,,\n"
                        "u2,i1,2,,\n");
  ColumnMapping mapping;
  mapping.default_type = "purchase";
  {
    VectorSink sink;
    ImportReport report = import_file(path, FileFormat::kCsv, mapping, ImportPolicy{}, sink);
    EXPECT_EQ(reason(report, "missing_timestamp"), 2u);  // timestamps reject by default
    EXPECT_TRUE(sink.events.empty());
  }
  {
    ImportPolicy policy;
    policy.missing["timestamp"] = {MissingPolicy::Kind::kNow, ""};
    policy.missing["value"] = {MissingPolicy::Kind::kDefault, "3"};
    policy.missing["channel"] = {MissingPolicy::Kind::kDefault, "store"};
    VectorSink sink;
    Timestamp before = now_seconds();
    ImportReport report = import_file(path, FileFormat::kCsv, mapping, policy, sink);
    ASSERT_EQ(sink.events.size(), 2u);
    EXPECT_EQ(report.defaulted, 2u + 1u + 2u);
    EXPECT_GE(sink.events[0].timestamp, before);
    EXPECT_EQ(sink.events[0].value, 3.0);
    EXPECT_EQ(sink.events[1].value, 2.0);
    EXPECT_EQ(sink.events[0].channel, "store");
    EXPECT_EQ(sink.events[0].type, "purchase");
  }
  {
    ImportPolicy policy;
    policy.missing["timestamp"] = {MissingPolicy::Kind::kDefault, "2020-01-01"};
    policy.missing["value"] = {MissingPolicy::Kind::kReject, ""};
    VectorSink sink;
    ImportReport report = import_file(path, FileFormat::kCsv, mapping, policy, sink);
    EXPECT_EQ(reason(report, "missing_value"), 1u);
    ASSERT_EQ(sink.events.size(), 1u);
    EXPECT_EQ(sink.events[0].timestamp, 1577836800);
  }
  {
    ImportPolicy policy;
    policy.missing["value"] = {MissingPolicy::Kind::kNow, ""};
    VectorSink sink;
    EXPECT_THROW(import_file(path, FileFormat::kCsv, mapping, policy, sink), Error);
  }
}

TEST(ImportFile, TimezoneOffsetsNormaliseToUtc) {
  TempDir dir;
  auto path = dir.write("tz.csv",
                        "user_id,item_id,type,timestamp\n"
                        "a,x,view,2018-06-17T10:00:00+08:00\n"
                        "b,x,view,2018-06-16T22:00:00-04:00\n"
                        "c,x,view,2018-06-17T02:00:00Z\n"
                        "d,x,view,2018-06-17 02:00:00\n"
                        "e,x,view,2018-06-17T07:30:00+05:30\n");
  VectorSink sink;
  import_file(path, FileFormat::kCsv, ColumnMapping{}, ImportPolicy{}, sink);
  ASSERT_EQ(sink.events.size(), 5u);
  for (const Event& e : sink.events) EXPECT_EQ(e.timestamp, kJune17_2am) << e.user_id;
}

TEST(ImportFile, ItemsNormaliseTextAndLastRowWins) {
  TempDir dir;
  auto path = dir.write("items.csv",
                        "item_id,title,description,categories,price,hidden,brand,zip\n"
                        "i1,\"  北京\xE3\x80\x80烤鸭  \",Cafe\xCC\x81 au lait,美食|中餐|美食,12.5,false,全聚德,02134\n"
                        "i2,Old title,,,1,no,,\n"
                        "i3,Bad price,,,abc,,,\n"
                        "i4,Bad flag,,,,perhaps,,\n"
                        "i2,New title,,Books,2,yes,,\n");
  ColumnMapping mapping;
  mapping.entity = "items";
  VectorSink sink;
  ImportReport report = import_file(path, FileFormat::kCsv, mapping, ImportPolicy{}, sink);
  EXPECT_EQ(reason(report, "invalid_price"), 1u);
  EXPECT_EQ(reason(report, "invalid_hidden"), 1u);
  EXPECT_EQ(report.merged, 1u);
  EXPECT_EQ(report.items, 2u);
  ASSERT_EQ(sink.items.size(), 2u);
  const Item& duck = sink.items[0];
  EXPECT_EQ(duck.title, "北京 烤鸭");
  EXPECT_EQ(duck.description, "Caf\xC3\xA9 au lait");
  EXPECT_EQ(duck.categories, (std::vector<std::string>{"美食", "中餐"}));
  EXPECT_EQ(duck.price, 12.5);
  EXPECT_FALSE(duck.hidden);
  EXPECT_EQ(duck.attributes["brand"], "全聚德");
  EXPECT_EQ(duck.attributes["zip"], "02134");
  const Item& book = sink.items[1];
  EXPECT_EQ(book.title, "New title");
  EXPECT_TRUE(book.hidden);
  EXPECT_EQ(book.categories, (std::vector<std::string>{"Books"}));
}

TEST(ImportFile, UsersWithAttributesJsonLabelsAndTypedExtras) {
  TempDir dir;
  auto path = dir.write("users.csv",
                        "user_id,attributes,labels,age,city\n"
                        "u1,\"{\"\"risk\"\": \"\"low\"\"}\",vip|new,42,上海\n"
                        "u2,not json,,,\n");
  ColumnMapping mapping;
  mapping.entity = "users";
  VectorSink sink;
  ImportReport report = import_file(path, FileFormat::kCsv, mapping, ImportPolicy{}, sink);
  EXPECT_EQ(reason(report, "invalid_attributes"), 1u);
  ASSERT_EQ(sink.users.size(), 1u);
  EXPECT_EQ(sink.users[0].attributes, (Json{{"risk", "low"}, {"age", 42}, {"city", "上海"}}));
  EXPECT_EQ(sink.users[0].labels, (std::vector<std::string>{"vip", "new"}));
}

TEST(ImportFile, HeaderlessFileWithNumberedColumns) {
  TempDir dir;
  auto path = dir.write("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\n");
  ColumnMapping mapping;
  parse_mapping_spec("user=#0, item=#1,value=#2,timestamp=#3", mapping);
  VectorSink sink;
  ImportReport report = import_file(path, FileFormat::kTsv, mapping, ImportPolicy{}, sink);
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[0].user_id, "196");
  EXPECT_EQ(sink.events[0].type, "rating");
  EXPECT_EQ(sink.events[1].timestamp, 891717742);
  EXPECT_EQ(reason(report, "wrong_field_count"), 1u);
  EXPECT_EQ(report.examples.at(0).line, 3u);
}

TEST(ImportFile, MappingSpecAndNativeFallback) {
  TempDir dir;
  // Pipe-separated with a header; timestamp falls back to its native name.
  auto path = dir.write("r.txt", "userId|movieId|rating|timestamp|extra\n1|31|2.5|1260759144|x\n");
  ColumnMapping mapping;
  parse_mapping_spec("user=userId,item=movieId,value=rating", mapping);
  EXPECT_EQ(mapping.fields.size(), 3u);
  mapping.delimiter = '|';
  VectorSink sink;
  import_file(path, FileFormat::kCsv, mapping, ImportPolicy{}, sink);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].value, 2.5);
  EXPECT_EQ(sink.events[0].timestamp, 1260759144);
  EXPECT_EQ(sink.events[0].context, (Json{{"extra", "x"}}));

  ColumnMapping bad;
  EXPECT_THROW(parse_mapping_spec("user", bad), Error);
  EXPECT_THROW(parse_mapping_spec("user=", bad), Error);
}

TEST(ImportFile, StructuralProblemsThrowInEveryMode) {
  TempDir dir;
  auto missing_column = dir.write("r.csv", "userId,movieId\n1,2\n");
  ColumnMapping mapping;
  parse_mapping_spec("user=userId,item=itemId", mapping);
  VectorSink sink;
  try {
    import_file(missing_column, FileFormat::kCsv, mapping, ImportPolicy{}, sink);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    std::string message = e.what();
    EXPECT_NE(message.find("r.csv:1: field 'item': column 'itemId'"), std::string::npos) << message;
  }
  // Native mapping: the id columns must be in the header.
  EXPECT_THROW(import_file(missing_column, FileFormat::kCsv, ColumnMapping{}, ImportPolicy{}, sink), Error);

  auto unterminated = dir.write("q.csv", "user_id,item_id,timestamp\nu,i,1\nu,\"i,2\n");
  try {
    import_file(unterminated, FileFormat::kCsv, ColumnMapping{}, ImportPolicy{}, sink);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("q.csv:3: field 'item_id'"), std::string::npos) << e.what();
  }
  try {
    import_file(dir.file("absent.csv"), FileFormat::kCsv, ColumnMapping{}, ImportPolicy{}, sink);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  ColumnMapping unknown;
  unknown.fields["colour"] = "c";
  EXPECT_THROW(import_file(missing_column, FileFormat::kCsv, unknown, ImportPolicy{}, sink), Error);
  ColumnMapping mixed;
  parse_mapping_spec("user=#0,item=movieId", mixed);
  EXPECT_THROW(import_file(missing_column, FileFormat::kCsv, mixed, ImportPolicy{}, sink), Error);
}

TEST(ImportFile, JsonlEventsWithContextAndBadLines) {
  TempDir dir;
  auto path = dir.write_gz("e.jsonl.gz",
                           "{\"user_id\": \"u1\", \"item_id\": 17, \"type\": \"purchase\", \"value\": 19.9,"
                           " \"timestamp\": 1529193600, \"context\": {\"device\": \"ios\"}, \"page\": \"home\"}\n"
                           "\n"
                           "[\"not\", \"an object\"]\n"
                           "{\"user_id\": \"u2\", \"item_id\": \"i\", \"timestamp\": \"2018-06-17T02:00:00Z\","
                           " \"value\": true}\n"
                           "{\"user_id\": \"u3\", \"item_id\": \"i\", \"timestamp\": \"2018-06-17T02:00:00Z\","
                           " \"context\": \"{\\\"a\\\": 1}\", \"n\": 2}\n");
  ColumnMapping mapping;
  mapping.default_type = "view";
  VectorSink sink;
  ImportReport report = import_file(path, FileFormat::kJsonl, mapping, ImportPolicy{}, sink);
  EXPECT_EQ(report.rows_read, 4u);
  EXPECT_EQ(reason(report, "invalid_json"), 1u);
  EXPECT_EQ(reason(report, "invalid_value"), 1u);
  ASSERT_NE(example_at(report, 3), nullptr);
  ASSERT_NE(example_at(report, 4), nullptr);
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[0].item_id, "17");
  EXPECT_EQ(sink.events[0].value, 19.9);
  EXPECT_EQ(sink.events[0].context, (Json{{"device", "ios"}, {"page", "home"}}));
  EXPECT_EQ(sink.events[1].type, "view");
  EXPECT_EQ(sink.events[1].context, (Json{{"a", 1}, {"n", 2}}));
}

TEST(ImportFile, SinkDuplicatesAreCountedAndEntitiesComeFirst) {
  class Rejecting : public VectorSink {
   public:
    bool put_event(const Event& event) override {
      VectorSink::put_event(event);
      return event.user_id != "known";
    }
  };
  TempDir dir;
  auto path = dir.write("e.csv", "user_id,item_id,timestamp\nknown,i,1\nnew,i,1\nnew,i,1\n");
  Rejecting sink;
  ImportReport report = import_file(path, FileFormat::kCsv, ColumnMapping{}, ImportPolicy{}, sink);
  EXPECT_EQ(report.events, 1u);
  EXPECT_EQ(report.duplicates, 2u);  // one in the sink, one within the import
  EXPECT_EQ(sink.events.size(), 2u);

  Json json = report.to_json();
  for (const char* key : {"rows_read", "users", "items", "events", "duplicates", "merged", "clipped", "defaulted",
                          "rejected", "rejected_by_reason", "examples", "seconds", "events_per_second"})
    EXPECT_TRUE(json.contains(key)) << key;
  EXPECT_EQ(json["duplicates"], 2);
}

TEST(ImportFile, ExamplesAreCappedButCountsAreNot) {
  TempDir dir;
  std::string text = "user_id,item_id,timestamp\n";
  for (int row = 0; row < 30; ++row) text += "u,i,bad" + std::to_string(row) + "\n";
  auto path = dir.write("e.csv", text);
  ImportPolicy policy;
  policy.max_examples = 5;
  CountingSink sink;
  ImportReport report = import_file(path, FileFormat::kCsv, ColumnMapping{}, policy, sink);
  EXPECT_EQ(reason(report, "invalid_timestamp"), 30u);
  EXPECT_EQ(report.examples.size(), 5u);
  EXPECT_EQ(report.examples[4].line, 6u);
}

TEST(ImportFile, UnknownTypesAllowedWhenConfigured) {
  TempDir dir;
  auto path = dir.write("e.csv", "user_id,item_id,type,timestamp\nu,i,wishlist,1\n");
  ImportPolicy policy;
  policy.event_types.allow_unknown = true;
  VectorSink sink;
  ImportReport report = import_file(path, FileFormat::kCsv, ColumnMapping{}, policy, sink);
  EXPECT_EQ(report.events, 1u);
}

TEST(GuessFileFormat, ByExtension) {
  EXPECT_EQ(guess_file_format("a/ratings.CSV"), FileFormat::kCsv);
  EXPECT_EQ(guess_file_format("x.tsv.gz"), FileFormat::kTsv);
  EXPECT_EQ(guess_file_format("Gift_Cards_5.json.gz"), FileFormat::kJsonl);
  EXPECT_FALSE(guess_file_format("u.data"));
}

}  // namespace
}  // namespace tailor::data
