// The adapters on the shared datasets (label "data"), with counts checked by
// hand against the dataset READMEs and a Python pass over the raw files:
//   ml-100k          100,000 ratings / 943 users / 1,682 items
//   ml-latest-small  100,836 ratings / 610 users / 9,742 movies; 3,683 tag rows.
//                    260 of them share (user, movie, timestamp) with another
//                    tag but carry a different tag text, so they are distinct
//                    events (event_fingerprint): 3,683 tag events, 0 duplicates
//   Gift_Cards       2,972 reviews; 3 share (reviewer, asin, day) with another
//                    review but differ in text: 2,972 events, 0 duplicates;
//                    1,547 meta items, 358 with a "$" price
//   All_Beauty       5,269 reviews, 1,051 repeats (same reviewer, asin,
//                    time, rating, and text and summary after whitespace
//                    folding and NFC): 4,218 events, no meta
// Also measures the parse+clean speed of ratings.csv into a counting sink.
#include <gtest/gtest.h>

#include <filesystem>

#include "tailor/data/import.h"
#include "test_util.h"

namespace tailor::data {
namespace {

using testing::CountingSink;
using testing::VectorSink;

std::string dataset(const std::string& name) { return std::string(TAILOR_DATASETS_DIR) + "/" + name; }

#define REQUIRE_DATASET(name)                                                             \
  do {                                                                                    \
    if (!std::filesystem::exists(dataset(name))) GTEST_FAIL() << "missing shared dataset " << (name); \
  } while (0)

TEST(Datasets, MovieLens100k) {
  REQUIRE_DATASET("ml-100k");
  VectorSink sink;
  ImportReport report = import_movielens_100k(dataset("ml-100k"), ImportPolicy{}, sink);
  EXPECT_EQ(report.rejected(), 0u) << report.to_json().dump();
  EXPECT_EQ(report.events, 100000u);
  EXPECT_EQ(report.users, 943u);
  EXPECT_EQ(report.items, 1682u);
  EXPECT_EQ(report.duplicates, 0u);
  EXPECT_EQ(report.rows_read, 100000u + 943u + 1682u);
  ASSERT_EQ(sink.events.size(), 100000u);
  ASSERT_EQ(sink.users.size(), 943u);
  ASSERT_EQ(sink.items.size(), 1682u);
  // Items and users reach the sink before any event.
  EXPECT_EQ(sink.order.find('e'), 943u + 1682u);

  const Item& toy_story = sink.items[0];
  EXPECT_EQ(toy_story.id, "1");
  EXPECT_EQ(toy_story.title, "Toy Story (1995)");
  EXPECT_EQ(toy_story.categories, (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_EQ(toy_story.attributes["release_date"], "1995-01-01");
  // u.item is Latin-1: 0xE9 in "Mis\xE9rables" must arrive as UTF-8 "é".
  EXPECT_EQ(sink.items[542].id, "543");
  EXPECT_EQ(sink.items[542].title, "Misérables, Les (1995)");
  EXPECT_EQ(sink.items[1632].title, "Á köldum klaka (Cold Fever) (1994)");
  for (const Item& item : sink.items) EXPECT_TRUE(is_valid_utf8(item.title)) << item.id;
  // Item 267 has only the "unknown" genre flag: no category rather than "unknown".
  EXPECT_EQ(sink.items[266].id, "267");
  EXPECT_TRUE(sink.items[266].categories.empty());
  const User& first = sink.users[0];
  EXPECT_EQ(first.id, "1");
  EXPECT_EQ(first.attributes, (Json{{"age", 24}, {"gender", "M"}, {"occupation", "technician"}, {"zip", "85711"}}));
  const Event& rating = sink.events[0];  // 196 242 3 881250949
  EXPECT_EQ(rating.user_id, "196");
  EXPECT_EQ(rating.item_id, "242");
  EXPECT_EQ(rating.type, "rating");
  EXPECT_EQ(rating.value, 3.0);
  EXPECT_EQ(rating.timestamp, 881250949);
}

TEST(Datasets, MovieLensLatestSmall) {
  REQUIRE_DATASET("ml-latest-small");
  CountingSink sink;
  ImportReport report = import_movielens_latest(dataset("ml-latest-small"), ImportPolicy{}, sink);
  EXPECT_EQ(report.rejected(), 0u) << report.to_json().dump();
  EXPECT_EQ(sink.events_by_type["rating"], 100836u);
  EXPECT_EQ(sink.events_by_type["tag"], 3683u);
  EXPECT_EQ(report.duplicates, 0u);
  EXPECT_EQ(report.rows_read, 9742u + 100836u + 3683u);
  EXPECT_EQ(report.items, 9742u);
  EXPECT_EQ(sink.item_ids.size(), 9742u);
  EXPECT_EQ(report.users, 0u);  // no users file; the store creates them from events
  EXPECT_EQ(sink.event_user_ids.size(), 610u);
  EXPECT_EQ(report.events, 100836u + 3683u);
}

TEST(Datasets, MovieLensLatestItemsAndTags) {
  REQUIRE_DATASET("ml-latest-small");
  VectorSink sink;
  import_movielens_latest(dataset("ml-latest-small"), ImportPolicy{}, sink);
  ASSERT_GE(sink.items.size(), 1u);
  EXPECT_EQ(sink.items[0].title, "Toy Story (1995)");
  EXPECT_EQ(sink.items[0].categories,
            (std::vector<std::string>{"Adventure", "Animation", "Children", "Comedy", "Fantasy"}));
  std::size_t without_genres = 0;
  for (const Item& item : sink.items) {
    without_genres += item.categories.empty() ? 1 : 0;
    for (const std::string& category : item.categories) EXPECT_NE(category, "(no genres listed)");
  }
  EXPECT_EQ(without_genres, 34u);
  // Tags: "2,60756,funny,1445714994" is the first line of tags.csv.
  auto tag = std::find_if(sink.events.begin(), sink.events.end(), [](const Event& e) { return e.type == "tag"; });
  ASSERT_NE(tag, sink.events.end());
  EXPECT_EQ(tag->user_id, "2");
  EXPECT_EQ(tag->item_id, "60756");
  EXPECT_EQ(tag->context, (Json{{"tag", "funny"}}));
  EXPECT_EQ(tag->timestamp, 1445714994);
  // Items first, then every event.
  EXPECT_EQ(sink.order.find('e'), 9742u);
  EXPECT_EQ(sink.order.find('i', 9742u), std::string::npos);
}

TEST(Datasets, AmazonGiftCardsWithMetadata) {
  REQUIRE_DATASET("amazon2018-gift-cards");
  VectorSink sink;
  ImportReport report = import_amazon(dataset("amazon2018-gift-cards"), ImportPolicy{}, sink);
  EXPECT_EQ(report.rejected(), 0u) << report.to_json().dump();
  EXPECT_EQ(report.events, 2972u);
  EXPECT_EQ(report.duplicates, 0u);
  EXPECT_EQ(report.items, 1547u);
  ASSERT_EQ(sink.items.size(), 1547u);
  EXPECT_EQ(sink.order.find('e'), 1547u);

  std::size_t priced = 0;
  for (const Item& item : sink.items) priced += item.price ? 1 : 0;
  EXPECT_EQ(priced, 358u);
  const Item& first = sink.items[0];  // B001BKEWF2, category ["Gift Cards", "Gift Cards"]
  EXPECT_EQ(first.id, "B001BKEWF2");
  EXPECT_EQ(first.title, "Serendipity 3 $100.00 Gift Card");
  EXPECT_EQ(first.categories, (std::vector<std::string>{"Gift Cards"}));
  EXPECT_EQ(first.attributes["brand"], "Serendipity 3");
  EXPECT_FALSE(first.description.empty());
  auto pack = std::find_if(sink.items.begin(), sink.items.end(), [](const Item& i) { return i.id == "B001H53QE4"; });
  ASSERT_NE(pack, sink.items.end());
  EXPECT_EQ(pack->price, 1250.0);  // "$1,250.00"

  const Event& review = sink.events[0];
  EXPECT_EQ(review.user_id, "A31UBHTUUIFJUT");
  EXPECT_EQ(review.item_id, "B004LLIKVU");
  EXPECT_EQ(review.type, "rating");
  EXPECT_EQ(review.value, 5.0);
  EXPECT_EQ(review.timestamp, 1529193600);
  EXPECT_EQ(review.context, (Json{{"review", "Another great gift."}, {"summary", "Five Stars"}}));
}

TEST(Datasets, AmazonReviewsFileWithoutMetadata) {
  REQUIRE_DATASET("amazon2018-all-beauty-5core");
  CountingSink sink;
  ImportReport report =
      import_amazon(dataset("amazon2018-all-beauty-5core/All_Beauty_5.json.gz"), ImportPolicy{}, sink);
  EXPECT_EQ(report.rejected(), 0u);
  EXPECT_EQ(report.rows_read, 5269u);
  EXPECT_EQ(report.duplicates, 1051u);
  EXPECT_EQ(report.events, 4218u);
  EXPECT_EQ(report.items, 0u);
  EXPECT_EQ(sink.event_user_ids.size(), 991u);
  EXPECT_EQ(sink.event_item_ids.size(), 85u);
}

TEST(Datasets, MissingDatasetFolderIsNotFound) {
  CountingSink sink;
  try {
    import_movielens_100k("/nonexistent/ml-100k", ImportPolicy{}, sink);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  EXPECT_THROW(import_amazon("/nonexistent/amazon", ImportPolicy{}, sink), Error);
}

// ratings.csv alone, parse + clean into a sink that only counts, three times:
// the counts must be stable. The rate is printed for information only; speed
// goals are measured in bench/import_bench.py, not asserted in tests.
TEST(Datasets, RatingsCsvRepeatedImportIsStable) {
  REQUIRE_DATASET("ml-latest-small");
  ColumnMapping mapping;
  parse_mapping_spec("user=userId,item=movieId,value=rating,timestamp=timestamp", mapping);
  double best = 1e9;
  for (int run = 0; run < 3; ++run) {
    CountingSink sink;
    sink.count_ids = false;
    double start = monotonic_seconds();
    ImportReport report =
        import_file(dataset("ml-latest-small/ratings.csv"), FileFormat::kCsv, mapping, ImportPolicy{}, sink);
    best = std::min(best, monotonic_seconds() - start);
    ASSERT_EQ(report.events, 100836u);
  }
  std::printf("ratings.csv: 100836 rows in %.4f s = %.0f rows/s\n", best, 100836 / best);
}

}  // namespace
}  // namespace tailor::data
