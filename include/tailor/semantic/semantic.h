// Front door of the semantic component: what Tailor does with language
// models on top of the catalogue and the recommenders.
//
//   item embeddings   item text -> vector, cached by (model id, text hash) in
//                     the store (artifact "embeddings:<model id>", versioned),
//                     so a re-import re-embeds only changed items
//   intent            query -> structured Intent, by GBNF-constrained
//                     generation, or by an embedding/lexicon fallback
//   search            query [+ user] -> ranked items: semantic match, the
//                     intent's hard filters, and the user's history through the
//                     current recommender, each with a reason
//   copy              item [+ user] -> marketing text for push/sms/email in
//                     zh/en, checked against the item's facts (grounding);
//                     ungrounded output is regenerated, then replaced by a
//                     deterministic template
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailor/ann/ann.h"
#include "tailor/data/data.h"
#include "tailor/llm/llm.h"
#include "tailor/model/model.h"
#include "tailor/store/store.h"

namespace tailor::semantic {

// ------------------------------------------------------ item embeddings ---

// The text an item is embedded from: title, categories, tags, description and
// scalar attributes, NFC, in a fixed order (so its hash is stable).
std::string item_text(const data::Item& item);

struct ItemVectors {
  std::string model_id;
  int dim = 0;
  std::vector<std::string> item_ids;     // row order
  std::vector<float> rows;               // item_ids.size() * dim, L2-normalised
  std::size_t embedded_now = 0;          // rows computed by this refresh (others came from the cache)
  // Distinct item categories of the catalogue at refresh time, sorted (what
  // search() hands parse_intent, so a query needs no catalogue scan).
  std::vector<std::string> categories;
};

// Embeds every item of the store whose text changed since the cached vectors
// (or all, the first time), writes the cache back (one transaction) and
// returns all vectors. Deleted items drop out.
ItemVectors refresh_item_vectors(store::Store& store, llm::Embedder& embedder);
// The cached vectors without embedding anything (nullopt when none for this model).
std::optional<ItemVectors> load_item_vectors(const store::Store& store, const std::string& model_id);
// The vectors of the latest refresh_item_vectors on this store, whichever
// embedder made them (the artifact "embeddings:current" names it); nullopt
// when items were never embedded. What training and `similar --by content`
// use, so neither has to open an embedder.
std::optional<ItemVectors> load_current_item_vectors(const store::Store& store);

// The vectors as rows aligned with `items` (dense indexes of a dataset or a
// model); items without a cached vector get a zero row.
dataset::ContentVectors align_item_vectors(const ItemVectors& vectors, const dataset::IdMap& items);
// Attaches the store's current vectors to `dataset` (dataset.item_vectors),
// so content-aware models (hybrid's embedding source, twotower) can use them.
// Returns false, changing nothing, when the store has none. The model layer
// sits below this component and never reads the cache itself: callers that
// train (tailor train / eval / tune, the server's trainer) call this first.
bool attach_item_vectors(const store::Store& store, dataset::Dataset& dataset);

// ---------------------------------------------------------------- intent ---

struct Intent {
  std::string query;
  std::string language;                    // "zh" or "en"
  std::vector<std::string> categories;     // catalogue categories the query asks for
  nlohmann::json attributes = nlohmann::json::object();  // e.g. {"color": "blue", "wireless": true}
  std::optional<double> price_min;
  std::optional<double> price_max;
  std::vector<std::string> must_have;      // terms an item must mention
  std::vector<std::string> exclude;        // terms an item must not mention
  std::string method;                      // "generator" or "fallback"
  nlohmann::json to_json() const;
};

// Parses `query` into an Intent. With a generator: GBNF-constrained JSON,
// validated and cleaned against `categories` (the catalogue's). Without one
// (or when its output is unusable): prices and exclusions by rules (zh and
// en), categories by embedding similarity of the query to category names
// when an embedder is given, else by lexicon match.
Intent parse_intent(const std::string& query, const std::vector<std::string>& categories,
                    llm::Generator* generator, llm::Embedder* embedder);

// The GBNF grammar the generator is constrained with (exposed for tests).
std::string intent_grammar();
// The same with "categories" restricted to `category_names` (what parse_intent
// offers the model: the catalogue's top levels); names that cannot be written
// as a plain JSON string literal are left out, and none left = any string.
std::string intent_grammar(const std::vector<std::string>& category_names);

// ---------------------------------------------------------------- search ---

struct SearchOptions {
  std::size_t n = 10;
  std::string user;               // "" = not personalised
  double personal_weight = 0.3;   // weight of the recommender's score in [0, 1]
  bool use_intent_filters = true; // apply the intent's price/category/exclude filters
};

struct SearchHit {
  std::string item;
  // Ranking score: without personalisation the relevance, cosine + 0.05 x
  // the lexical share of the query's words; with it, the blend
  // (1 - w)*relevance' + w*personal of min-max-scaled values, in [0, 1].
  float score = 0;
  float semantic = 0;             // cosine of query and item
  float personal = 0;             // normalised recommender score (0 when no user)
  std::vector<std::string> categories;
  std::string title;
  std::optional<double> price;
  std::string reason;             // one sentence, in the query's language
};

// {"item","score","semantic","personal","categories","title","price","reason"}
// (price null when unknown): the one wire shape of a hit, for the CLI and the server.
nlohmann::json hit_json(const SearchHit& hit);

struct SearchResult {
  Intent intent;
  std::vector<SearchHit> hits;
};

// `model` may be null (no personalisation). The vectors come from
// refresh_item_vectors (the caller decides when to refresh).
SearchResult search(const store::Store& store, const ItemVectors& vectors, const ann::Index& index,
                    llm::Embedder& embedder, llm::Generator* generator, const model::Recommender* model,
                    const std::string& query, const SearchOptions& options);

// ------------------------------------------------------------------ copy ---

enum class Channel { kPush, kSms, kEmail };
Channel parse_channel(const std::string& name);        // InvalidArgument naming "channel"
// Maximum length in characters (code points) of a channel's text.
std::size_t channel_max_chars(Channel channel, const std::string& lang);

struct CopyRequest {
  std::string item;
  std::string user;               // "" = no personalisation
  Channel channel = Channel::kPush;
  std::string lang = "zh";        // "zh" or "en"
  int max_attempts = 3;           // generations before the template fallback
  std::uint32_t seed = 42;
  // A generator under ~0.5B parameters (the default SmolLM2-135M) writes
  // Chinese that passes every fact check yet reads as nonsense, so zh copy
  // from such a model goes straight to the template unless this is set.
  bool allow_small_model_zh = false;
};

// True when `model_id` names a generator too small for fluent Chinese copy
// (model ids of SmolLM2-135M/360M and similar "NNNm" models).
bool is_small_generator(const std::string& model_id);
// By the model's parameter count when it reports one (under 400M: SmolLM2-135M
// and -360M, Gemma 3 270M), else by its id; renaming a GGUF changes nothing.
bool is_small_generator(const llm::Generator& generator);

struct GroundingReport {
  bool grounded = true;
  std::vector<std::string> violations;   // "number 299 not in item data", ...
};

// Every number, brand and attribute value the text states must appear in the
// item's facts (title, description, categories, tags, price, attributes).
// `lang` is the copy's language ("zh", "en"); empty means detect it from the
// text (Chinese copy may use no Latin word the facts lack; English copy that
// names a brand in Chinese is still English).
GroundingReport check_grounding(const std::string& text, const data::Item& item, std::string_view lang = {});

struct CopyResult {
  std::string text;
  bool grounded = false;
  bool fallback = false;          // true = deterministic template
  int attempts = 0;
  std::vector<std::string> interests;    // user interests the copy used
  GroundingReport report;                // of the last generated attempt
};

// `generator` may be null (template only).
CopyResult write_copy(const store::Store& store, llm::Generator* generator, const CopyRequest& request);

}  // namespace tailor::semantic
