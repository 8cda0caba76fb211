// Helpers for the intent / copy / grounding tests: a scripted Generator that
// replays canned replies (grounded and ungrounded ones) and records what it
// was asked, a keyword Embedder, a temporary SQLite store, and the demo
// catalogue (data/demo/items.jsonl) as data::Item values. No model needed.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tailor/llm/llm.h"
#include "tailor/semantic/semantic.h"
#include "tailor/store/store.h"

namespace tailor::semantic::testing {

// Replays `replies` in order (the last one repeats) and records each call.
class ScriptedGenerator final : public llm::Generator {
 public:
  explicit ScriptedGenerator(std::vector<std::string> replies, std::string id = "scripted")
      : replies_(std::move(replies)), id_(std::move(id)) {}
  std::string model_id() const override { return id_; }
  std::uint64_t parameter_count() const override { return params; }
  llm::GenerateResult chat(const std::vector<llm::ChatMessage>& messages, const llm::GenerateOptions& options) override {
    calls.push_back({messages, options});
    llm::GenerateResult result;
    result.text = replies_.empty() ? "" : replies_[std::min(calls.size() - 1, replies_.size() - 1)];
    result.finish_reason = finish_reason;
    return result;
  }
  std::string finish_reason = "stop";  // "length" plays a reply cut by max_tokens
  std::uint64_t params = 0;            // 0: unknown, like a remote endpoint
  struct Call {
    std::vector<llm::ChatMessage> messages;
    llm::GenerateOptions options;
  };
  std::vector<Call> calls;

 private:
  std::vector<std::string> replies_;
  std::string id_;
};

// Embeds by keywords: each axis is one keyword group; texts with none of them
// get a last, shared axis. Deterministic and L2-normalised like a real model.
class KeywordEmbedder final : public llm::Embedder {
 public:
  explicit KeywordEmbedder(std::vector<std::vector<std::string>> axes) : axes_(std::move(axes)) {}
  int dim() const override { return static_cast<int>(axes_.size()) + 1; }
  std::string model_id() const override { return "keyword"; }
  std::vector<float> embed(std::span<const std::string> texts, llm::TextRole) override {
    std::vector<float> out;
    for (const auto& text : texts) {
      std::vector<float> row(dim(), 0.0f);
      for (std::size_t axis = 0; axis < axes_.size(); ++axis)
        for (const auto& word : axes_[axis])
          if (text.find(word) != std::string::npos) row[axis] = 1.0f;
      float norm = 0;
      for (float v : row) norm += v * v;
      if (norm == 0) row.back() = 1.0f, norm = 1;
      for (float& v : row) v /= std::sqrt(norm);
      out.insert(out.end(), row.begin(), row.end());
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> axes_;
};

// A fresh SQLite store in its own folder, removed afterwards.
class TempStore {
 public:
  TempStore() {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("tailor_semantic_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    store_ = store::open_store((dir_ / "store.db").string());
  }
  ~TempStore() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  store::Store& operator*() { return *store_; }
  store::Store* operator->() { return store_.get(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

inline data::Item item_from_json(const nlohmann::json& doc) {
  data::Item item;
  item.id = doc.at("item_id").get<std::string>();
  item.title = doc.value("title", "");
  item.description = doc.value("description", "");
  if (doc.contains("categories")) item.categories = doc["categories"].get<std::vector<std::string>>();
  if (doc.contains("tags")) item.tags = doc["tags"].get<std::vector<std::string>>();
  if (doc.contains("price") && doc["price"].is_number()) item.price = doc["price"].get<double>();
  if (doc.contains("attributes")) item.attributes = doc["attributes"];
  return item;
}

// Every item of the demo catalogue (scripts/gen_demo_data.py).
inline std::vector<data::Item> demo_items() {
  std::ifstream in(std::string(TAILOR_SOURCE_DIR) + "/data/demo/items.jsonl");
  EXPECT_TRUE(in.good()) << "data/demo/items.jsonl not found";
  std::vector<data::Item> items;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) items.push_back(item_from_json(nlohmann::json::parse(line)));
  return items;
}

// An earbuds item in Chinese with an English brand attribute, as the demo has them.
inline data::Item zh_earbuds() {
  return item_from_json(nlohmann::json::parse(R"json({
    "item_id": "sku-ear", "title": "声悦 降噪蓝牙耳机 黑色",
    "description": "主动降噪，超长总续航，IPX5防水。适合通勤路上。",
    "categories": ["phones-audio", "phones-audio/earbuds"],
    "tags": ["phones-audio", "earbuds", "anc", "battery", "waterproof", "手机耳机"],
    "price": 599.0,
    "attributes": {"brand": "Sonora", "colour": "black", "battery_hours": 30, "codec": "LDAC", "lang": "zh"}})json"));
}

inline data::Item en_knives() {
  return item_from_json(nlohmann::json::parse(R"json({
    "item_id": "sku-knife", "title": "Little Stove Damascus steel kitchen knife set (navy)",
    "description": "Damascus steel kitchen knife set with a knife block and non-slip handles. Ideal for weekend baking.",
    "categories": ["kitchen", "kitchen/cookware"], "tags": ["kitchen", "cookware", "block", "grip"],
    "price": 609.0,
    "attributes": {"brand": "Little Stove", "colour": "navy", "lang": "en", "material": "Damascus steel", "pieces": 5}})json"));
}

inline void put_items(store::Store& store, const std::vector<data::Item>& items) {
  auto writer = store.begin_write();
  for (const auto& item : items) writer->put_item(item);
  writer->commit();
}

}  // namespace tailor::semantic::testing
