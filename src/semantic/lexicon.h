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
//   kinds            zh/en names of one product kind, style or material, so
//                    that an excluded 头戴式 also excludes "over-ear" items
//
// All terms are in fold() form (lower-case ASCII, NFC).
#pragma once

#include <span>
#include <string_view>
#include <vector>

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
// Product kinds, styles and materials by their zh and en names, each group
// one thing ("头戴式|over-ear"). Unlike the category terms, which list a
// category's members (帐篷 and 睡袋 are both outdoor/camping), a group's
// spellings translate one another, so any one may stand for the rest.
std::span<const TermGroup> kind_groups();

// Attribute rules for queries: a match sets attributes[key] = value
// (value "true" means the JSON boolean true).
struct AttributeTerms {
  std::string_view terms;
  std::string_view key;
  std::string_view value;
};
std::span<const AttributeTerms> attribute_terms();

// Every spelling, zh and en, of what `term` (fold() form) names: the union
// of the colour, brand, claim, attribute and kind groups that list it or, for
// a Latin word, its plural or singular ("tents" finds "tent"). Empty when no
// group does. Category terms are left out on purpose: they are a category's
// members, not synonyms (excluding 游戏本 must not exclude every laptop).
// The spellings are bounded by the groups' sizes (at most a few dozen).
std::vector<std::string_view> concept_spellings(std::string_view term);

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
