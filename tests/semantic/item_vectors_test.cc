// Item embeddings and their store cache ("embeddings:<model id>"): the text
// an item is embedded from, cache reuse, re-embedding of changed and new
// items, dropping deleted ones, batching, per-model caches, damaged caches and
// a hand-built fixture of format version 1. Uses the hashed bag-of-words test
// embedder (bow_embedder.h): no model download.
#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

#include "bow_embedder.h"
#include "semantic_test_util.h"
#include "tailor/core/core.h"
#include "tailor/model/model.h"
#include "tailor/semantic/semantic.h"

namespace tailor::semantic {
namespace {

using testing::BowEmbedder;
using testing::put_items;
using testing::TempStore;

data::Item make_item(const std::string& id, const std::string& title, std::vector<std::string> categories,
                     std::optional<double> price = std::nullopt) {
  data::Item item;
  item.id = id;
  item.title = title;
  item.categories = std::move(categories);
  item.price = price;
  return item;
}

std::vector<data::Item> small_catalogue() {
  return {make_item("a1", "Wireless Bluetooth headphones", {"phones-audio", "phones-audio/headphones"}, 299),
          make_item("a2", "降噪蓝牙耳机", {"phones-audio", "phones-audio/earbuds"}, 499),
          make_item("c1", "Lightweight laptop 14 inch", {"computers", "computers/laptops"}, 5999),
          make_item("k1", "Coffee grinder", {"coffee-tea"}, 199)};
}

TEST(ItemText, FixedOrderAndReadableCategories) {
  data::Item item = make_item("x", "  Trail  running shoes ", {"running", "running/shoes"}, 399);
  item.tags = {"trail", "grip"};
  item.description = "Grippy outsole.\nFor muddy hills.";
  item.attributes = {{"size_eu", "42"}, {"brand", "Kestrel"}, {"drop_mm", 6}, {"waterproof", true},
                     {"nested", {{"ignored", 1}}}};
  EXPECT_EQ(item_text(item),
            "Trail running shoes. running, running / shoes. trail, grip. Grippy outsole. For muddy hills. "
            "brand: Kestrel, drop_mm: 6, size_eu: 42, waterproof: yes");
  // Attribute insertion order does not matter (the hash must be stable).
  data::Item reordered = item;
  reordered.attributes = {{"waterproof", true}, {"drop_mm", 6}, {"brand", "Kestrel"}, {"size_eu", "42"}};
  EXPECT_EQ(item_text(item), item_text(reordered));
  // Price, hidden and availability are not text: changing them does not re-embed.
  reordered.price = 10;
  reordered.hidden = true;
  EXPECT_EQ(item_text(item), item_text(reordered));
  data::Item zh = make_item("z", "降噪蓝牙耳机", {"phones-audio/earbuds"});
  EXPECT_EQ(item_text(zh), "降噪蓝牙耳机. phones audio / earbuds");
}

TEST(ItemVectors, FirstRefreshEmbedsAllThenTheCacheServes) {
  TempStore store;
  put_items(*store, small_catalogue());
  BowEmbedder embedder;
  const ItemVectors first = refresh_item_vectors(*store, embedder);
  EXPECT_EQ(first.model_id, embedder.model_id());
  EXPECT_EQ(first.dim, embedder.dim());
  EXPECT_EQ(first.embedded_now, 4u);
  EXPECT_EQ(first.item_ids, (std::vector<std::string>{"a1", "a2", "c1", "k1"}));
  ASSERT_EQ(first.rows.size(), 4u * embedder.dim());
  EXPECT_EQ(first.categories, (std::vector<std::string>{"coffee-tea", "computers", "computers/laptops", "phones-audio",
                                                        "phones-audio/earbuds", "phones-audio/headphones"}));
  for (std::size_t row = 0; row < first.item_ids.size(); ++row) {
    const std::span<const float> v(first.rows.data() + row * first.dim, first.dim);
    EXPECT_NEAR(llm::cosine(v, v), 1.0, 1e-5);
    double norm = 0;
    for (float x : v) norm += x * x;
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  // The rows are the embedder's vectors of item_text, in passage role.
  const auto item = store->get_item("c1");
  const std::vector<std::string> texts{item_text(*item)};
  const auto expected = embedder.embed(texts, llm::TextRole::kPassage);
  EXPECT_EQ(std::vector<float>(first.rows.begin() + 2 * first.dim, first.rows.begin() + 3 * first.dim), expected);

  const int calls_before = embedder.calls;
  const ItemVectors second = refresh_item_vectors(*store, embedder);
  EXPECT_EQ(second.embedded_now, 0u);
  EXPECT_EQ(embedder.calls, calls_before);
  EXPECT_EQ(second.item_ids, first.item_ids);
  EXPECT_EQ(second.rows, first.rows);
  EXPECT_EQ(second.categories, first.categories);

  auto loaded = load_item_vectors(*store, embedder.model_id());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->rows, first.rows);
  EXPECT_EQ(loaded->embedded_now, 0u);
  EXPECT_FALSE(load_item_vectors(*store, "some-other-model"));
}

TEST(ItemVectors, ChangedNewAndDeletedItems) {
  TempStore store;
  put_items(*store, small_catalogue());
  BowEmbedder embedder;
  const ItemVectors first = refresh_item_vectors(*store, embedder);

  // Change one item's text, add one, delete one, and change only a price.
  auto changed = *store->get_item("a1");
  changed.description = "Now with active noise cancelling.";
  auto repriced = *store->get_item("c1");
  repriced.price = 4999;
  {
    auto writer = store->begin_write();
    writer->put_item(changed);
    writer->put_item(repriced);
    writer->put_item(make_item("n1", "Running shoes", {"running"}, 599));
    writer->delete_item("k1");
    writer->commit();
  }
  const std::size_t texts_before = embedder.texts_embedded;
  const ItemVectors second = refresh_item_vectors(*store, embedder);
  EXPECT_EQ(second.embedded_now, 2u);  // a1 (text changed) and n1 (new)
  EXPECT_EQ(embedder.texts_embedded - texts_before, 2u);
  EXPECT_EQ(second.item_ids, (std::vector<std::string>{"a1", "a2", "c1", "n1"}));
  const auto row_of = [](const ItemVectors& v, const std::string& id) {
    const auto pos = std::find(v.item_ids.begin(), v.item_ids.end(), id) - v.item_ids.begin();
    return std::vector<float>(v.rows.begin() + pos * v.dim, v.rows.begin() + (pos + 1) * v.dim);
  };
  EXPECT_NE(row_of(second, "a1"), row_of(first, "a1"));
  EXPECT_EQ(row_of(second, "a2"), row_of(first, "a2"));
  EXPECT_EQ(row_of(second, "c1"), row_of(first, "c1"));
  EXPECT_TRUE(std::find(second.categories.begin(), second.categories.end(), "coffee-tea") == second.categories.end());
  EXPECT_TRUE(std::find(second.categories.begin(), second.categories.end(), "running") != second.categories.end());

  // Deleting alone (no new text) still rewrites the cache.
  {
    auto writer = store->begin_write();
    writer->delete_item("a2");
    writer->commit();
  }
  const ItemVectors third = refresh_item_vectors(*store, embedder);
  EXPECT_EQ(third.embedded_now, 0u);
  EXPECT_EQ(load_item_vectors(*store, embedder.model_id())->item_ids, (std::vector<std::string>{"a1", "c1", "n1"}));
}

TEST(ItemVectors, BatchesOf32) {
  TempStore store;
  std::vector<data::Item> items;
  for (int item_idx = 0; item_idx < 70; ++item_idx)
    items.push_back(make_item("i" + std::to_string(100 + item_idx), "item number " + std::to_string(item_idx), {"misc"}));
  put_items(*store, items);
  BowEmbedder embedder;
  EXPECT_EQ(refresh_item_vectors(*store, embedder).embedded_now, 70u);
  EXPECT_EQ(embedder.calls, 3);  // 32 + 32 + 6
}

TEST(ItemVectors, OneCachePerModel) {
  TempStore store;
  put_items(*store, small_catalogue());
  BowEmbedder small(64), large(128);
  EXPECT_EQ(refresh_item_vectors(*store, small).embedded_now, 4u);
  EXPECT_EQ(refresh_item_vectors(*store, large).embedded_now, 4u);
  EXPECT_EQ(refresh_item_vectors(*store, small).embedded_now, 0u);
  EXPECT_EQ(load_item_vectors(*store, small.model_id())->dim, 64);
  EXPECT_EQ(load_item_vectors(*store, large.model_id())->dim, 128);
}

TEST(ItemVectors, EmptyCatalogue) {
  TempStore store;
  BowEmbedder embedder;
  const ItemVectors v = refresh_item_vectors(*store, embedder);
  EXPECT_TRUE(v.item_ids.empty());
  EXPECT_TRUE(v.rows.empty());
  EXPECT_EQ(embedder.calls, 0);
}

TEST(ItemVectors, DamagedCacheIsRebuiltAndLoadReportsCorruption) {
  TempStore store;
  put_items(*store, small_catalogue());
  BowEmbedder embedder;
  const ItemVectors good = refresh_item_vectors(*store, embedder);
  const std::string name = "embeddings:" + embedder.model_id();
  const std::string bytes = *store->get_artifact(name);
  for (const std::string& bad : {std::string("garbage"), bytes.substr(0, bytes.size() / 2),
                                 bytes.substr(0, bytes.size() - 1), std::string("TEMB\x07\0\0\0", 8)}) {
    {
      auto writer = store->begin_write();
      writer->put_artifact(name, bad);
      writer->commit();
    }
    try {
      load_item_vectors(*store, embedder.model_id());
      ADD_FAILURE() << "damaged cache loaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
    }
    const ItemVectors rebuilt = refresh_item_vectors(*store, embedder);
    EXPECT_EQ(rebuilt.embedded_now, 4u);
    EXPECT_EQ(rebuilt.rows, good.rows);
  }
}

// A version-1 cache written byte by byte from the layout in item_vectors.cc,
// so a change to the writer that breaks old caches fails here.
TEST(ItemVectors, ReadsVersion1Fixture) {
  std::ostringstream out(std::ios::binary);
  out.write("TEMB", 4);
  model::io::write_u32(out, 1);
  model::io::write_string(out, "item-embeddings");
  model::io::write_string(out, "fixture-model");
  model::io::write_u32(out, 2);
  model::io::write_u64(out, 2);
  model::io::write_string(out, "sku-1");
  model::io::write_u64(out, 0x1234);
  model::io::write_string(out, "sku-2");
  model::io::write_u64(out, 0x5678);
  const std::vector<float> rows{1, 0, 0.6f, 0.8f};
  model::io::write_floats(out, rows);
  model::io::write_u64(out, 1);
  model::io::write_string(out, "audio");
  out.write("TEME", 4);
  TempStore store;
  {
    auto writer = store->begin_write();
    writer->put_artifact("embeddings:fixture-model", out.str());
    writer->commit();
  }
  auto v = load_item_vectors(*store, "fixture-model");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->dim, 2);
  EXPECT_EQ(v->item_ids, (std::vector<std::string>{"sku-1", "sku-2"}));
  EXPECT_EQ(v->rows, rows);
  EXPECT_EQ(v->categories, (std::vector<std::string>{"audio"}));
  // Stored under one model's name but written for another: refused.
  {
    auto writer = store->begin_write();
    writer->put_artifact("embeddings:other-model", out.str());
    writer->commit();
  }
  EXPECT_THROW(load_item_vectors(*store, "other-model"), Error);
}

}  // namespace
}  // namespace tailor::semantic
