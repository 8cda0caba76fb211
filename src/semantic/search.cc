// search(): a free-text query (zh or en), optionally for a user, to ranked
// catalogue items with a reason each.
//
//   1. intent     parse_intent(query, catalogue categories): price range,
//                 categories, exclude / must-have terms, language
//   2. retrieve   embed the query (query role) and take the ANN index's best
//                 candidates, over-fetching (max(10n, 50)) because the hard
//                 filters below drop some; when fewer than n survive, fetch 4x
//                 more until n do or the catalogue is exhausted
//   3. filter     never hidden or unavailable items; the intent's price range
//                 (an item without a price cannot be shown to fit a budget and is
//                 dropped), categories (an item in one of them or below it),
//                 exclude terms (in the item's text, in any zh or en spelling
//                 the lexicon knows for them: see TermMatcher)
//   4. relevance  rel = cosine + 0.05·lexical, where lexical ∈ [0, 1] is the
//                 IDF-weighted share of the query's terms found in two fields,
//                 the item's text and its category names (BM25F-style: a query
//                 that names a category by its word, "headphones", "laptops",
//                 asks for that category), IDF taken over the candidates.
//                 Dense embeddings of small models blur near neighbours
//                 ("bluetooth headphones" is 0.867 from a Bluetooth speaker and
//                 0.863 from over-ear headphones with e5-small); the words the
//                 query states decide such near-ties.
//   5. blend      score = (1 − w)·rel' + w·personal for a user with history
//                 known to the model, where rel' and personal are the relevance
//                 and the recommender's score, each min-max scaled over the
//                 surviving candidates; without personalisation score = rel
//   6. explain    one sentence per hit in the query's language
//
// The category filter has one guard: a small generator sometimes names a
// category that has nothing to do with the query. When none of the first
// round's visible candidates lies in the intent's categories, the filter
// contradicts the semantic evidence and is not applied (logged at debug).
// Must-have terms are not a filter (models invent them freely); a hit that
// mentions one, in any of its spellings, says so in its reason.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "lexicon.h"
#include "tailor/core/core.h"
#include "tailor/semantic/semantic.h"
#include "text_scan.h"

namespace tailor::semantic {
namespace {

// Weight of the lexical signal against the cosine: about the spread of e5
// cosines among near neighbours, so it breaks near-ties, never overrules a
// clearly better semantic match.
constexpr float kLexicalWeight = 0.05f;

struct Candidate {
  std::uint32_t row = 0;
  float cosine = 0;
  data::Item item;
  std::string text;                   // item_text, ASCII lower-cased
  std::u32string folded;              // item_text in fold() form, for intent terms
  std::string category_text;          // category ids, ASCII lower-cased
  float lexical = 0;
  float relevance = 0;
  bool passes_other_filters = false;  // price and exclude terms
  bool in_category = false;           // in one of the intent's categories
  float personal_raw = -std::numeric_limits<float>::infinity();
  float personal = 0;
  float score = 0;
};

std::string ascii_lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// True when the text holds a CJK ideograph (U+3400..U+9FFF), decoded from UTF-8.
bool has_cjk(const std::string& text) {
  for (std::size_t pos = 0; pos + 2 < text.size(); ++pos) {
    const auto b0 = static_cast<unsigned char>(text[pos]);
    if ((b0 & 0xF0) != 0xE0) continue;
    const std::uint32_t cp = ((b0 & 0x0Fu) << 12) | ((static_cast<unsigned char>(text[pos + 1]) & 0x3Fu) << 6) |
                             (static_cast<unsigned char>(text[pos + 2]) & 0x3Fu);
    if (cp >= 0x3400 && cp <= 0x9FFF) return true;
  }
  return false;
}

// Query terms for the lexical signal: ASCII words of 3+ characters, lower
// case, without stop words; for Chinese (no spaces) every pair of adjacent
// ideographs, or the ideograph itself in a run of one. Matched as substrings
// of the item's text, so "headphone" also finds "headphones".
std::vector<std::string> query_terms(const std::string& query) {
  static const std::set<std::string> kStopWords = {
      "the", "and", "for", "with", "without", "under", "over", "below", "above", "less", "than", "more", "between",
      "want", "need", "buy", "some", "any", "that", "this", "from", "yuan", "rmb", "usd", "not", "but", "please"};
  std::vector<std::string> terms;
  auto add = [&](const std::string& term) {
    if (std::find(terms.begin(), terms.end(), term) == terms.end()) terms.push_back(term);
  };
  std::string word;
  std::vector<std::string> run;  // the current run of ideographs
  auto flush_word = [&] {
    bool digits = std::all_of(word.begin(), word.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (word.size() >= 3 && !digits && !kStopWords.count(word)) add(word);
    word.clear();
  };
  auto flush_run = [&] {
    if (run.size() == 1) add(run[0]);
    for (std::size_t char_idx = 0; char_idx + 1 < run.size(); ++char_idx) add(run[char_idx] + run[char_idx + 1]);
    run.clear();
  };
  for (std::size_t pos = 0; pos < query.size();) {
    const auto b0 = static_cast<unsigned char>(query[pos]);
    const std::size_t len = std::min<std::size_t>(b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : 4,
                                                  query.size() - pos);
    if (b0 < 0x80 && std::isalnum(b0)) {
      flush_run();
      word.push_back(static_cast<char>(std::tolower(b0)));
    } else {
      flush_word();
      std::uint32_t cp = 0;
      if (len == 3)
        cp = ((b0 & 0x0Fu) << 12) | ((static_cast<unsigned char>(query[pos + 1]) & 0x3Fu) << 6) |
             (static_cast<unsigned char>(query[pos + 2]) & 0x3Fu);
      if (cp >= 0x3400 && cp <= 0x9FFF) run.push_back(query.substr(pos, len));
      else flush_run();
    }
    pos += len;
  }
  flush_word();
  flush_run();
  return terms;
}

// lexical(item) = Σ_{t ∈ terms} idf(t)·([t in text] + [t in categories]) / (2 Σ_{t ∈ terms} idf(t)),
// idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5)), df over the N candidates' texts.
void score_lexical(const std::vector<std::string>& terms, std::vector<Candidate>& candidates) {
  if (terms.empty() || candidates.empty()) return;
  const double n = static_cast<double>(candidates.size());
  std::vector<std::vector<bool>> has(terms.size(), std::vector<bool>(candidates.size(), false));
  std::vector<std::vector<bool>> names(terms.size(), std::vector<bool>(candidates.size(), false));
  std::vector<double> idf(terms.size());
  double idf_sum = 0;
  for (std::size_t term_idx = 0; term_idx < terms.size(); ++term_idx) {
    double df = 0;
    for (std::size_t cand_idx = 0; cand_idx < candidates.size(); ++cand_idx)
      if (candidates[cand_idx].text.find(terms[term_idx]) != std::string::npos) {
        has[term_idx][cand_idx] = true;
        names[term_idx][cand_idx] = candidates[cand_idx].category_text.find(terms[term_idx]) != std::string::npos;
        ++df;
      }
    idf[term_idx] = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    idf_sum += idf[term_idx];
  }
  for (std::size_t cand_idx = 0; cand_idx < candidates.size(); ++cand_idx) {
    double matched = 0;
    for (std::size_t term_idx = 0; term_idx < terms.size(); ++term_idx)
      matched += idf[term_idx] * ((has[term_idx][cand_idx] ? 1 : 0) + (names[term_idx][cand_idx] ? 1 : 0));
    candidates[cand_idx].lexical = idf_sum > 0 ? static_cast<float>(matched / (2 * idf_sum)) : 0.0f;
  }
}

// An intent term (exclude or must-have) and every spelling of what it names
// (detail::concept_spellings): 头戴式 also stands for "over-ear", "no red"
// also for 红色, so a term reaches items written in the other language.
// Matching follows detail::find_term: a Latin spelling only as a word, or
// with a plural "s" ("red" is not in "shredder", "tent" is in "tents"); a
// Chinese one anywhere, except a colour inside a longer spelling of another
// colour (红色 in 粉红色 is pink, 白色 in 米白色 beige).
class TermMatcher {
 public:
  explicit TermMatcher(const std::string& term) : term_(term) {
    const std::string folded = detail::fold(term);
    add(detail::to_u32(folded));
    for (std::string_view spelling : detail::concept_spellings(folded)) add(detail::to_u32(spelling));
    shadows_.resize(spellings_.size());
    for (const auto& group : detail::colour_groups())
      detail::for_each_term(group.terms, [&](std::string_view colour) {
        const std::u32string other = detail::to_u32(colour);
        if (std::find(spellings_.begin(), spellings_.end(), other) != spellings_.end()) return;
        for (std::size_t spelling_idx = 0; spelling_idx < spellings_.size(); ++spelling_idx) {
          const auto& spelling = spellings_[spelling_idx];
          if (other.size() <= spelling.size()) continue;
          for (auto at = other.find(spelling); at != std::u32string::npos; at = other.find(spelling, at + 1))
            shadows_[spelling_idx].push_back({other, at});
        }
      });
  }

  const std::string& term() const { return term_; }

  bool found_in(std::u32string_view text) const {
    for (std::size_t spelling_idx = 0; spelling_idx < spellings_.size(); ++spelling_idx) {
      const auto& spelling = spellings_[spelling_idx];
      for (std::size_t pos : detail::find_term(text, spelling))
        if (!shadowed(text, spelling_idx, pos)) return true;
      if (detail::is_ascii_alpha(spelling.back()) && !detail::find_term(text, spelling + U"s").empty()) return true;
    }
    return false;
  }

 private:
  struct Shadow {
    std::u32string longer;   // a longer colour spelling holding this spelling
    std::size_t offset = 0;  // where it holds it
  };

  void add(std::u32string spelling) {
    if (!spelling.empty() && std::find(spellings_.begin(), spellings_.end(), spelling) == spellings_.end())
      spellings_.push_back(std::move(spelling));
  }

  bool shadowed(std::u32string_view text, std::size_t spelling_idx, std::size_t pos) const {
    for (const auto& shadow : shadows_[spelling_idx])
      if (pos >= shadow.offset && text.substr(pos - shadow.offset, shadow.longer.size()) == shadow.longer) return true;
    return false;
  }

  std::string term_;
  std::vector<std::u32string> spellings_;  // the term first
  std::vector<std::vector<Shadow>> shadows_;
};

std::vector<TermMatcher> term_matchers(const std::vector<std::string>& terms) {
  std::vector<TermMatcher> out;
  for (const auto& term : terms)
    if (!term.empty()) out.emplace_back(term);
  return out;
}

bool in_categories(const data::Item& item, const std::vector<std::string>& categories) {
  for (const auto& have : item.categories)
    for (const auto& want : categories)
      if (have == want || (have.size() > want.size() && have.compare(0, want.size(), want) == 0 && have[want.size()] == '/'))
        return true;
  return false;
}

std::string top_category(const std::string& category) { return category.substr(0, category.find('/')); }

// The most specific category of an item (the longest path), for display.
std::string display_category(const data::Item& item) {
  std::string best;
  for (const auto& c : item.categories)
    if (c.size() > best.size()) best = c;
  return best;
}

std::string format_number(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string format_price(double price) { return format_number(price, price == std::floor(price) ? 0 : 2); }

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (std::size_t part_idx = 0; part_idx < parts.size(); ++part_idx)
    out += (part_idx ? separator : "") + parts[part_idx];
  return out;
}

// What the user's live history says, for personal scores and reasons.
struct UserContext {
  bool personalised = false;
  std::vector<float> scores;                 // model->item_count() scores
  std::set<std::string> bought_categories;   // top-level categories of purchases
  std::set<std::string> seen_categories;     // of any other interaction
  std::string model_name;
};

UserContext user_context(const store::Store& store, const model::Recommender* model, const std::string& user) {
  UserContext ctx;
  if (model == nullptr || user.empty()) return ctx;
  auto types = data::EventTypes::defaults();
  types.allow_unknown = true;
  std::vector<std::uint32_t> history;
  std::vector<float> weights;
  std::unordered_map<std::string, std::set<std::string>> category_cache;
  // Newest first; 200 events say enough about taste and bound the item lookups.
  for (const auto& ev : store.user_events(user, 200)) {
    if (auto idx = model->item_ids().find(ev.item_id)) {
      history.push_back(*idx);
      weights.push_back(static_cast<float>(types.weight(ev.type, ev.value).value_or(1.0)));
    }
    auto [it, inserted] = category_cache.try_emplace(ev.item_id);
    if (inserted)
      if (auto item = store.get_item(ev.item_id))
        for (const auto& c : item->categories) it->second.insert(top_category(c));
    auto& into = ev.type == "purchase" ? ctx.bought_categories : ctx.seen_categories;
    into.insert(it->second.begin(), it->second.end());
  }
  if (history.empty()) return ctx;  // nothing the model can use: not personalised
  ctx.scores.assign(model->item_count(), 0.0f);
  model->score_history(history, weights, ctx.scores);
  ctx.personalised = true;
  ctx.model_name = model->name();
  return ctx;
}

std::string make_reason(const Candidate& c, const Intent& intent, const std::vector<TermMatcher>& must_have, bool zh,
                        bool category_filter, const UserContext& user, const std::string& query) {
  const std::string category = display_category(c.item);
  const std::string similarity = format_number(c.cosine, 2);
  std::string reason = zh ? "与“" + query + "”语义匹配（相似度 " + similarity + "）"
                          : "matches '" + query + "' (similarity " + similarity + ")";
  if (!category.empty()) reason += zh ? "，属于 " + category : " in " + category;
  if (category_filter && !intent.categories.empty()) reason += zh ? "，符合您要的品类" : ", the category you asked for";
  if ((intent.price_min || intent.price_max) && c.item.price) {
    const std::string price = format_price(*c.item.price);
    if (intent.price_min && intent.price_max) {
      const std::string range = format_price(*intent.price_min) + "–" + format_price(*intent.price_max);
      reason += zh ? "；价格 " + price + " 在 " + range + " 之间" : "; price " + price + " within " + range;
    } else if (intent.price_max) {
      reason += zh ? "；价格 " + price + " 不超过 " + format_price(*intent.price_max)
                   : "; price " + price + " under " + format_price(*intent.price_max);
    } else {
      reason += zh ? "；价格 " + price + " 不低于 " + format_price(*intent.price_min)
                   : "; price " + price + " from " + format_price(*intent.price_min);
    }
  }
  std::vector<std::string> mentioned;
  for (const auto& matcher : must_have)
    if (matcher.found_in(c.folded)) mentioned.push_back(matcher.term());
  if (!mentioned.empty()) reason += zh ? "；包含“" + join(mentioned, "”“") + "”" : "; mentions " + join(mentioned, ", ");
  if (user.personalised) {
    std::string shared;
    bool bought = false;
    for (const auto& cat : c.item.categories) {
      const std::string top = top_category(cat);
      if (user.bought_categories.count(top)) {
        shared = top;
        bought = true;
        break;
      }
      if (shared.empty() && user.seen_categories.count(top)) shared = top;
    }
    if (!shared.empty())
      reason += zh ? std::string("；与您") + (bought ? "买过" : "浏览过") + "的 " + shared + " 商品相似"
                   : "; similar to " + shared + " items you " + (bought ? "bought" : "viewed");
    else if (c.personal >= 0.5f)
      reason += zh ? "；符合您的偏好（" + user.model_name + " 推荐）" : "; fits your taste (" + user.model_name + " model)";
  }
  return reason + (zh ? "。" : ".");
}

}  // namespace

SearchResult search(const store::Store& store, const ItemVectors& vectors, const ann::Index& index,
                    llm::Embedder& embedder, llm::Generator* generator, const model::Recommender* model,
                    const std::string& query, const SearchOptions& options) {
  const std::string clean_query = data::normalize_text(query);
  TAILOR_CHECK_ARG(!clean_query.empty(), "query must not be empty");
  TAILOR_CHECK_ARG(clean_query.size() <= 2000, "query must be at most 2000 bytes");
  TAILOR_CHECK_ARG(options.n >= 1 && options.n <= 1000, "n must be in [1, 1000]");
  TAILOR_CHECK_ARG(options.personal_weight >= 0 && options.personal_weight <= 1, "personal_weight must be in [0, 1]");
  TAILOR_CHECK_ARG(vectors.model_id == embedder.model_id(),
                   "item vectors were embedded by '" + vectors.model_id + "', the query embedder is '" +
                       embedder.model_id() + "': refresh the vectors with this embedder");
  TAILOR_CHECK_ARG(vectors.dim == embedder.dim() && index.dim() == vectors.dim,
                   "dimensions disagree: vectors " + std::to_string(vectors.dim) + ", embedder " +
                       std::to_string(embedder.dim()) + ", index " + std::to_string(index.dim()));
  TAILOR_CHECK_ARG(index.size() == vectors.item_ids.size(),
                   "index has " + std::to_string(index.size()) + " rows for " + std::to_string(vectors.item_ids.size()) +
                       " item vectors: build it from these vectors");

  SearchResult result;
  result.intent = parse_intent(clean_query, vectors.categories, generator, &embedder);
  const Intent& intent = result.intent;
  const bool zh = intent.language == "zh" || (intent.language != "en" && has_cjk(clean_query));
  if (index.size() == 0) return result;

  const std::vector<std::string> query_texts{clean_query};
  const std::vector<float> query_vec = embedder.embed(query_texts, llm::TextRole::kQuery);
  TAILOR_ASSERT(query_vec.size() == static_cast<std::size_t>(vectors.dim));

  const bool filters = options.use_intent_filters;
  const std::vector<TermMatcher> excluded = term_matchers(intent.exclude);
  const std::vector<TermMatcher> must_have = term_matchers(intent.must_have);
  auto passes_other = [&](const data::Item& item, std::u32string_view text) {
    if (!filters) return true;
    if (intent.price_min || intent.price_max) {
      if (!item.price) return false;
      if (intent.price_min && *item.price < *intent.price_min) return false;
      if (intent.price_max && *item.price > *intent.price_max) return false;
    }
    for (const auto& matcher : excluded)
      if (matcher.found_in(text)) return false;
    return true;
  };

  // Retrieval rounds (see the file comment). `candidates` holds every visible
  // item fetched so far; `seen_rows` avoids looking an item up twice.
  std::vector<Candidate> candidates;
  std::unordered_set<std::uint32_t> seen_rows;
  bool category_filter = false;
  std::size_t k = std::min(index.size(), std::max<std::size_t>(options.n * 10, 50));
  for (bool first_round = true;; first_round = false) {
    for (const ann::Hit& hit : index.search(query_vec, k)) {
      if (!seen_rows.insert(hit.id).second) continue;
      auto item = store.get_item(vectors.item_ids[hit.id]);
      if (!item || item->hidden || !item->available) continue;  // deleted since the refresh, or never shown
      Candidate c;
      c.row = hit.id;
      c.cosine = hit.score;
      const std::string text = item_text(*item);
      c.text = ascii_lower(text);
      c.folded = detail::fold32(text);
      for (const auto& category : item->categories) c.category_text += ascii_lower(category) + " ";
      c.passes_other_filters = passes_other(*item, c.folded);
      c.in_category = in_categories(*item, intent.categories);
      c.item = std::move(*item);
      candidates.push_back(std::move(c));
    }
    if (first_round && filters && !intent.categories.empty()) {
      category_filter = std::any_of(candidates.begin(), candidates.end(), [](const Candidate& c) { return c.in_category; });
      if (!category_filter)
        log_debug("search: no candidate for '" + clean_query + "' lies in the intent's categories; category filter not applied");
    }
    const auto passing = std::count_if(candidates.begin(), candidates.end(), [&](const Candidate& c) {
      return c.passes_other_filters && (!category_filter || c.in_category);
    });
    if (static_cast<std::size_t>(passing) >= options.n || k >= index.size()) break;
    k = std::min(index.size(), k * 4);
  }
  std::erase_if(candidates, [&](const Candidate& c) {
    return !c.passes_other_filters || (category_filter && !c.in_category);
  });
  if (candidates.empty()) return result;

  // Blend. Min-max scaling puts both signals on [0, 1] over this candidate
  // set, so personal_weight means the same whatever the model's score scale.
  score_lexical(query_terms(clean_query), candidates);
  for (auto& c : candidates) c.relevance = c.cosine + kLexicalWeight * c.lexical;
  const UserContext user = user_context(store, model, options.user);
  float rel_lo = candidates.front().relevance, rel_hi = rel_lo;
  float per_lo = std::numeric_limits<float>::infinity(), per_hi = -per_lo;
  for (auto& c : candidates) {
    rel_lo = std::min(rel_lo, c.relevance);
    rel_hi = std::max(rel_hi, c.relevance);
    if (!user.personalised) continue;
    if (auto idx = model->item_ids().find(c.item.id); idx && std::isfinite(user.scores[*idx])) {
      c.personal_raw = user.scores[*idx];
      per_lo = std::min(per_lo, c.personal_raw);
      per_hi = std::max(per_hi, c.personal_raw);
    }
  }
  const float w = user.personalised ? static_cast<float>(options.personal_weight) : 0.0f;
  for (auto& c : candidates) {
    // An item the model knows nothing about gets personal 0, as does everyone
    // when the model scores all candidates alike.
    if (std::isfinite(c.personal_raw) && per_hi > per_lo) c.personal = (c.personal_raw - per_lo) / (per_hi - per_lo);
    const float relevance_scaled = rel_hi > rel_lo ? (c.relevance - rel_lo) / (rel_hi - rel_lo) : 1.0f;
    c.score = user.personalised ? (1 - w) * relevance_scaled + w * c.personal : c.relevance;
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.relevance != b.relevance) return a.relevance > b.relevance;
    return a.item.id < b.item.id;
  });
  if (candidates.size() > options.n) candidates.resize(options.n);

  for (const auto& c : candidates) {
    SearchHit hit;
    hit.item = c.item.id;
    hit.score = c.score;
    hit.semantic = c.cosine;
    hit.personal = c.personal;
    hit.categories = c.item.categories;
    hit.title = c.item.title;
    hit.price = c.item.price;
    hit.reason = make_reason(c, intent, must_have, zh, category_filter, user, clean_query);
    result.hits.push_back(std::move(hit));
  }
  return result;
}

nlohmann::json hit_json(const SearchHit& hit) {
  return {{"item", hit.item},
          {"score", hit.score},
          {"semantic", hit.semantic},
          {"personal", hit.personal},
          {"categories", hit.categories},
          {"title", hit.title},
          {"price", hit.price ? nlohmann::json(*hit.price) : nlohmann::json()},
          {"reason", hit.reason}};
}

}  // namespace tailor::semantic
