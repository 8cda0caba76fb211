// Private word lists of the semantic component, shared by intent parsing and
// the grounding check. They are data, not logic: each table says in one place
// which Chinese and English words mean the same thing.
//
//   category terms   shopper words -> catalogue categories. The table knows the
//                    demo catalogue (scripts/gen_demo_data.py: "phones-audio",
//                    "phones-audio/earbuds", ...); any other catalogue is
//                    matched by its own category names (see intent.cc).
//   colours          canonical colour -> zh/en spellings
//   claims           product or offer claims (waterproof, free shipping, 限时,
//                    best-seller) a copy may only make when the item's facts do
//   brands           zh/en brand pairs: the demo catalogue's plus a few famous
//                    ones, so that copy naming another brand is caught
//
// All terms are in fold() form (lower-case ASCII, NFC).
#pragma once

#include <span>
#include <string_view>

namespace tailor::semantic::detail {

struct CategoryTerms {
  std::string_view terms;       // '|'-separated
  std::string_view categories;  // '|'-separated catalogue paths, most specific first
  // Weak terms name a broad area ("travel", "游戏") and count only when no
  // strong term matched: "laptop for travel" is a laptop, not travel gear.
  bool weak = false;
};
std::span<const CategoryTerms> category_terms();

struct TermGroup {
  std::string_view name;   // canonical name ("waterproof", "grey")
  std::string_view terms;  // '|'-separated spellings, zh and en
};
std::span<const TermGroup> colour_groups();
std::span<const TermGroup> claim_groups();
// Brand groups: each group is one brand's spellings ("铁馆|ironden").
std::span<const TermGroup> brand_groups();

// Attribute rules for queries: a match sets attributes[key] = value
// (value "true" means the JSON boolean true).
struct AttributeTerms {
  std::string_view terms;
  std::string_view key;
  std::string_view value;
};
std::span<const AttributeTerms> attribute_terms();

// Splits a '|'-separated list.
template <typename Fn>
void for_each_term(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    auto bar = list.find('|');
    auto term = list.substr(0, bar);
    if (!term.empty()) fn(term);
    if (bar == std::string_view::npos) break;
    list.remove_prefix(bar + 1);
  }
}

}  // namespace tailor::semantic::detail
