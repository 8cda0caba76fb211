// write_copy: marketing text for one item (and optionally one user) on one
// channel in one language, that states only the item's facts.
//
//   1. facts     title, brand, price, categories, tags, description, colour
//                and scalar attributes of the item; the user's interests are
//                the top categories and tags of the items they interacted
//                with (event-type weighted, newest 300 events)
//   2. generate  up to max_attempts chat generations, each with its own seed
//                (seed + 7919 * attempt), cleaned (labels, quotes, markdown
//                stripped), cut to the channel's length at a sentence or
//                phrase boundary, then accepted only when it is in the asked
//                language, names the item (brand or title words, not an echo
//                of the prompt) and check_grounding finds nothing
//   3. fallback  a deterministic template per channel x language built from
//                the facts alone (and an interest the item itself carries),
//                so it passes check_grounding by construction; an English
//                template for a Chinese item uses only its Latin fields
//                (brand, English tags, category path, colour)
//
// Length limits in characters (code points), chosen for the channel: push
// notifications show ~2 lines on a phone lock screen, an SMS is one GSM-7
// (160) or UCS-2 (70) segment, an email body stays short enough to read.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>

#include "lexicon.h"
#include "tailor/core/core.h"
#include "tailor/semantic/semantic.h"
#include "text_scan.h"

namespace tailor::semantic {
namespace {

using detail::to_u32;
using detail::to_utf8;

constexpr std::size_t kInterestEvents = 300;
constexpr std::size_t kMaxInterests = 6;
constexpr std::size_t kMinCopyChars = 6;
constexpr std::uint32_t kSeedStride = 7919;  // a prime: attempt seeds never collide for nearby base seeds

std::string lower_ascii(std::string text) {
  for (auto& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

bool has_cjk(std::string_view text) { return detail::script_counts(text).cjk > 0; }

// ------------------------------------------------------------ interests ---

std::vector<std::string> user_interests(const store::Store& store, const std::string& user) {
  auto types = data::EventTypes::defaults();
  types.allow_unknown = true;
  std::map<std::string, double> category_score, tag_score;
  std::unordered_map<std::string, std::optional<data::Item>> items;
  for (const auto& event : store.user_events(user, kInterestEvents)) {
    auto [it, inserted] = items.try_emplace(event.item_id);
    if (inserted) it->second = store.get_item(event.item_id);
    if (!it->second) continue;
    double weight = types.weight(event.type, event.value).value_or(1.0);
    std::set<std::string> tops;
    for (const auto& c : it->second->categories) tops.insert(c.substr(0, c.find('/')));
    for (const auto& top : tops) category_score[top] += weight;
    for (const auto& tag : it->second->tags) tag_score[tag] += weight;
  }
  auto top_n = [](const std::map<std::string, double>& scores, std::size_t n,
                  const std::vector<std::string>& skip) {
    std::vector<std::pair<double, std::string>> ranked;
    for (const auto& [name, score] : scores)
      if (score > 0 && std::find(skip.begin(), skip.end(), name) == skip.end()) ranked.push_back({-score, name});
    std::sort(ranked.begin(), ranked.end());  // score desc, then name: deterministic
    std::vector<std::string> out;
    for (std::size_t k = 0; k < ranked.size() && out.size() < n; ++k) out.push_back(ranked[k].second);
    return out;
  };
  auto interests = top_n(category_score, 3, {});
  std::vector<std::string> skip = interests;
  for (const auto& [name, score] : category_score) skip.push_back(name);
  for (const auto& tag : top_n(tag_score, kMaxInterests - interests.size(), skip)) interests.push_back(tag);
  return interests;
}

// The first of `interests` the item itself carries (category or tag), in the
// copy's script: the only interest a template may mention.
std::optional<std::string> shared_interest(const data::Item& item, const std::vector<std::string>& interests,
                                           const std::string& lang) {
  for (const auto& interest : interests) {
    if ((lang == "zh") != has_cjk(interest)) continue;
    bool carried = std::find(item.tags.begin(), item.tags.end(), interest) != item.tags.end();
    for (const auto& c : item.categories) carried = carried || c == interest || c.substr(0, c.find('/')) == interest;
    if (carried) return interest;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- facts ---

std::string first_sentence(const std::string& text) {
  auto chars = to_u32(text);
  for (std::size_t pos = 0; pos < chars.size(); ++pos)
    if (chars[pos] == U'。' || chars[pos] == U'！' || chars[pos] == U'？' ||
        ((chars[pos] == U'.' || chars[pos] == U'!' || chars[pos] == U'?') &&
         (pos + 1 == chars.size() || chars[pos + 1] == U' ')))
      return to_utf8(std::u32string_view(chars).substr(0, pos + 1));
  return text;
}

std::string string_attribute(const data::Item& item, const char* key) {
  if (item.attributes.is_object() && item.attributes.contains(key) && item.attributes[key].is_string())
    return data::normalize_text(item.attributes[key].get<std::string>());
  return "";
}

std::string leaf_category(const data::Item& item) {
  if (item.categories.empty()) return "";
  const auto& path = item.categories.back();
  std::string leaf = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  std::replace(leaf.begin(), leaf.end(), '-', ' ');
  return leaf;
}

// Tags that say something beyond the category (not "fitness", "健身瑜伽").
std::vector<std::string> feature_tags(const data::Item& item, bool latin_only) {
  std::vector<std::string> out;
  for (const auto& tag : item.tags) {
    bool is_category = false;
    for (const auto& c : item.categories)
      for (std::size_t start = 0; start <= c.size();) {
        auto slash = c.find('/', start);
        auto part = c.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        is_category = is_category || part == tag;
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
    if (is_category || (latin_only && has_cjk(tag))) continue;
    // A zh catalogue puts its own category name in the tags; a CJK tag equal
    // to no feature is still useful in Chinese copy, so only the exact
    // category words are skipped above.
    out.push_back(tag);
  }
  return out;
}

std::string colour_in(const data::Item& item, const std::string& lang) {
  auto colour = lower_ascii(string_attribute(item, "colour"));
  if (colour.empty()) colour = lower_ascii(string_attribute(item, "color"));
  if (colour.empty() || lang == "en") return colour;
  for (const auto& group : detail::colour_groups())
    if (group.name == colour) {
      std::string zh;
      detail::for_each_term(group.terms, [&](std::string_view t) {
        if (zh.empty() && has_cjk(t)) zh = std::string(t);
      });
      if (!zh.empty()) return zh;
    }
  return colour;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts)
    if (!p.empty()) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string price_text(const data::Item& item) {
  return item.price ? "¥" + detail::format_number(*item.price) : "";
}

// English name of an item whose title may be Chinese: "IronDen yoga".
std::string english_name(const data::Item& item) {
  auto title = data::normalize_text(item.title);
  if (!title.empty() && !has_cjk(title)) return title;
  auto brand = string_attribute(item, "brand");
  if (has_cjk(brand)) brand.clear();
  auto name = join({brand, leaf_category(item)}, " ");
  return name.empty() ? "this item" : name;
}

// ------------------------------------------------------------- template ---

// Picks the richest candidate that fits; the last one is cut to fit.
std::string first_fitting(const std::vector<std::string>& candidates, std::size_t limit) {
  for (const auto& c : candidates)
    if (detail::count_chars(c) <= limit) return c;
  return detail::fit_chars(candidates.back(), limit);
}

std::string template_zh(const data::Item& item, Channel channel, const std::optional<std::string>& interest,
                        std::size_t limit) {
  auto title = data::normalize_text(item.title);
  auto brand = string_attribute(item, "brand");
  auto description = data::normalize_text(item.description);
  std::string desc1 = has_cjk(description) ? first_sentence(description) : "";
  while (!desc1.empty() && (desc1.ends_with("。") || desc1.ends_with("！"))) desc1.resize(desc1.size() - 3);
  std::string price = item.price ? "售价" + price_text(item) : "";
  std::string lead = interest ? "喜欢" + *interest + "的你，看看" : "推荐";
  std::string name = "「" + title + "」";
  if (channel == Channel::kEmail) {
    std::string opener = interest ? "喜欢" + *interest + "的你，这件好物值得一看。" : "为你挑选了这件好物。";
    std::vector<std::string> details;
    if (!brand.empty()) details.push_back("品牌：" + brand);
    if (auto colour = colour_in(item, "zh"); !colour.empty()) details.push_back("颜色：" + colour);
    std::vector<std::string> zh_features;
    for (const auto& f : feature_tags(item, false))
      if (has_cjk(f)) zh_features.push_back(f);
    if (!zh_features.empty()) details.push_back("亮点：" + join(zh_features, "、"));
    if (item.price) details.push_back("售价：" + price_text(item));
    std::string body = opener + (has_cjk(description) ? description : "");
    std::string text = title + "\n\n" + body + "\n\n" + join(details, "\n");
    return first_fitting({text, title + "\n\n" + join(details, "\n")}, limit);
  }
  std::string sign = channel == Channel::kSms && !brand.empty() ? "【" + brand + "】" : "";
  std::vector<std::string> candidates = {
      sign + lead + name + "：" + join({desc1, price}, "，") + "。",
      sign + lead + name + "，" + price + "。",
      "推荐" + name + "，" + price + "。",
      "推荐" + name + "。",
  };
  if (price.empty()) candidates.erase(candidates.begin() + 1, candidates.begin() + 3);
  return first_fitting(candidates, limit);
}

std::string template_en(const data::Item& item, Channel channel, const std::optional<std::string>& interest,
                        std::size_t limit) {
  auto name = english_name(item);
  auto description = data::normalize_text(item.description);
  std::string desc1 = !description.empty() && !has_cjk(description) ? first_sentence(description) : "";
  auto features = feature_tags(item, true);
  std::string highlights = features.empty() ? "" : "Highlights: " + join(features, ", ") + ".";
  std::string price = item.price ? "Now " + price_text(item) + "." : "";
  std::string lead = interest ? "Into " + *interest + "? " : "";
  if (channel == Channel::kEmail) {
    std::vector<std::string> details;
    auto brand = string_attribute(item, "brand");
    if (!brand.empty() && !has_cjk(brand)) details.push_back("Brand: " + brand);
    if (auto colour = colour_in(item, "en"); !colour.empty() && !has_cjk(colour)) details.push_back("Colour: " + colour);
    if (item.attributes.is_object())
      for (const auto& [key, value] : item.attributes.items()) {
        if (key == "brand" || key == "colour" || key == "color" || key == "lang" || details.size() >= 6) continue;
        std::string shown = value.is_number() ? detail::format_number(value.get<double>())
                            : value.is_string() ? value.get<std::string>()
                                                : "";
        if (shown.empty() || has_cjk(shown) || has_cjk(key)) continue;
        std::string label = key;
        std::replace(label.begin(), label.end(), '_', ' ');
        label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
        details.push_back(label + ": " + shown);
      }
    if (item.price) details.push_back("Price: " + price_text(item));
    std::string opener = interest ? "Since you are into " + *interest + ", this one is for you." : "Picked for you.";
    std::string body = join({opener, desc1.empty() ? "" : description, highlights}, " ");
    std::string text = name + "\n\n" + body + "\n\n" + join(details, "\n");
    return first_fitting({text, name + "\n\n" + join(details, "\n")}, limit);
  }
  std::vector<std::string> candidates = {
      join({lead + name + ".", desc1.empty() ? highlights : desc1, price}, " "),
      join({lead + name + ".", price}, " "),
      join({name + ".", price}, " "),
      name + ".",
  };
  return first_fitting(candidates, limit);
}

std::string template_copy(const data::Item& item, Channel channel, const std::string& lang,
                          const std::optional<std::string>& interest) {
  auto limit = channel_max_chars(channel, lang);
  return lang == "zh" ? template_zh(item, channel, interest, limit) : template_en(item, channel, interest, limit);
}

// ------------------------------------------------------------ generation ---

const char* channel_name(Channel channel, const std::string& lang) {
  bool zh = lang == "zh";
  switch (channel) {
    case Channel::kPush: return zh ? "推送通知" : "push notification";
    case Channel::kSms: return zh ? "营销短信" : "SMS message";
    case Channel::kEmail: return zh ? "营销邮件正文" : "marketing email body";
  }
  return "";
}

std::vector<llm::ChatMessage> copy_messages(const data::Item& item, Channel channel, const std::string& lang,
                                            const std::vector<std::string>& interests) {
  bool zh = lang == "zh";
  std::string facts;
  auto line = [&](const char* zh_label, const char* en_label, const std::string& value) {
    if (!value.empty()) facts += std::string(zh ? zh_label : en_label) + (zh ? "：" : ": ") + value + "\n";
  };
  line("标题", "Title", data::normalize_text(item.title));
  line("品牌", "Brand", string_attribute(item, "brand"));
  line("价格", "Price", price_text(item));
  line("类目", "Category", join(item.categories, ", "));
  line("标签", "Tags", join(item.tags, ", "));
  line("描述", "Description", data::normalize_text(item.description));
  line("颜色", "Colour", colour_in(item, lang));
  std::string limit = std::to_string(channel_max_chars(channel, lang));
  // One worked example (a made-up item) before the real request: without it a
  // small chat model answers as an assistant ("Hello! I'm here to help").
  std::vector<llm::ChatMessage> messages;
  if (zh) {
    auto ask = [&](const std::string& item_facts, const std::string& wants) {
      std::string text = "商品信息：\n" + item_facts;
      if (!wants.empty()) text += "用户兴趣：" + wants + "\n";
      return text + "请用中文写一条" + channel_name(channel, lang) + "，不超过" + limit + "个字。只输出文案本身。";
    };
    messages.push_back({"system", "你是电商文案写手。只使用给出的商品信息，不要编造价格、数字、品牌、折扣、赠品或功能。"});
    messages.push_back({"user", ask("标题：云朵 防风雨衣\n价格：¥399\n描述：可收纳防风雨衣，压胶接缝。\n", "")});
    messages.push_back({"assistant", "云朵防风雨衣，可收纳、压胶接缝，风雨出行更安心，售价¥399。"});
    messages.push_back({"user", ask(facts, join(interests, "、"))});
  } else {
    auto ask = [&](const std::string& item_facts, const std::string& wants) {
      std::string text = "Product facts:\n" + item_facts;
      if (!wants.empty()) text += "Customer interests: " + wants + "\n";
      return text + "Write one " + channel_name(channel, lang) + " in English, at most " + limit +
             " characters. Reply with the text only.";
    };
    messages.push_back({"system",
                        "You write marketing copy for an online shop. Use only the product facts given. Never invent "
                        "prices, numbers, brands, discounts, gifts or features."});
    messages.push_back({"user", ask("Title: Cloudy rain jacket\nPrice: ¥399\nDescription: Packable rain jacket with "
                                    "taped seams.\n",
                                    "")});
    messages.push_back({"assistant", "Rain or shine, the Cloudy rain jacket packs small and its taped seams keep you dry. "
                                     "Yours for ¥399."});
    messages.push_back({"user", ask(facts, join(interests, ", "))});
  }
  return messages;
}

int copy_max_tokens(Channel channel) {
  switch (channel) {
    case Channel::kPush: return 96;
    case Channel::kSms: return 128;
    case Channel::kEmail: return 320;  // ~1200 English characters; longer is cut anyway
  }
  return 128;
}

bool is_label_line(const std::string& line) {
  auto n = detail::count_chars(line);
  return n > 0 && n <= 30 && (line.ends_with(":") || line.ends_with("："));
}

// Model output -> candidate copy: no fences, labels, markdown or wrapping
// quotes; push and SMS are one paragraph on one line.
std::string clean_generated(const std::string& raw, Channel channel) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= raw.size()) {
    auto end = raw.find('\n', start);
    if (end == std::string::npos) end = raw.size();
    std::string line = raw.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("```")) continue;
    for (const char* mark : {"**", "__"})
      for (auto pos = line.find(mark); pos != std::string::npos; pos = line.find(mark)) line.erase(pos, 2);
    while (line.starts_with("#")) line.erase(0, 1);
    line = data::normalize_text(line);
    lines.push_back(line);
  }
  while (!lines.empty() && lines.front().empty()) lines.erase(lines.begin());
  if (lines.size() > 1 && is_label_line(lines.front())) lines.erase(lines.begin());
  for (const char* prefix : {"文案：", "推送：", "短信：", "Push notification:", "Push:", "SMS:", "Copy:"})
    if (!lines.empty() && lines.front().starts_with(prefix))
      lines.front() = data::normalize_text(lines.front().substr(std::string(prefix).size()));
  std::string text;
  if (channel == Channel::kEmail) {
    bool blank = false;
    for (const auto& line : lines) {
      if (line.empty()) {
        blank = !text.empty();
        continue;
      }
      text += (text.empty() ? "" : (blank ? "\n\n" : "\n")) + line;
      blank = false;
    }
  } else {
    for (const auto& line : lines) {
      if (line.empty()) {
        if (!text.empty()) break;  // first paragraph only
        continue;
      }
      text += (text.empty() ? "" : " ") + line;
    }
  }
  // Wrapping quotes.
  auto chars = to_u32(text);
  if (chars.size() >= 2) {
    char32_t open = chars.front(), close = chars.back();
    if ((open == U'"' && close == U'"') || (open == U'“' && close == U'”') || (open == U'「' && close == U'」') ||
        (open == U'\'' && close == U'\''))
      text = to_utf8(std::u32string_view(chars).substr(1, chars.size() - 2));
  }
  return text;
}

// Text up to its last sentence end, when that leaves enough to be copy.
std::string drop_unfinished_sentence(const std::string& text) {
  auto chars = to_u32(text);
  std::size_t end = chars.size();
  while (end > 0 && !detail::is_sentence_end(chars[end - 1])) --end;
  if (end == chars.size() || end < kMinCopyChars) return text;
  auto kept = chars.substr(0, end);
  while (!kept.empty() && (kept.back() == U'\n' || kept.back() == U' ')) kept.pop_back();
  return to_utf8(kept);
}

// The spellings (fold() form) of the lexicon's group for the item's brand,
// its name in the other script included (IronDen -> ironden, 铁馆); empty
// when the lexicon does not know the brand.
std::vector<std::u32string> brand_group_spellings(const data::Item& item) {
  std::vector<std::u32string> out;
  const auto brand = detail::fold32(string_attribute(item, "brand"));
  for (const auto& group : detail::brand_groups()) {
    bool mine = false;
    detail::for_each_term(group.terms, [&](std::string_view t) { mine = mine || to_u32(t) == brand; });
    if (mine) detail::for_each_term(group.terms, [&](std::string_view t) { out.push_back(to_u32(t)); });
  }
  return out;
}

// Calls fn for every run of a-z in a folded text ("iphone", "usb").
template <typename Fn>
void for_each_latin_word(std::u32string_view folded, Fn&& fn) {
  std::size_t pos = 0;
  while (pos < folded.size()) {
    if (!detail::is_ascii_alpha(folded[pos])) {
      ++pos;
      continue;
    }
    std::size_t end = pos;
    while (end < folded.size() && detail::is_ascii_alpha(folded[end])) ++end;
    fn(folded.substr(pos, end - pos));
    pos = end;
  }
}

// Latin letters of a Chinese copy that are neither the brand's nor in the
// item's Chinese facts ("iPhone 15 手机壳", "USB-C 充电"): English the model
// failed to translate. 0.5B models write "小瓦斯 Damascus steel厨房 knife" for
// an English item, which detect_language calls Chinese (two ideographs are
// enough in a query, not in copy).
std::size_t foreign_latin_letters(const std::string& text, const data::Item& item) {
  std::set<std::u32string, std::less<>> allowed;
  auto allow = [&](std::u32string_view word) { allowed.emplace(word); };
  for_each_latin_word(detail::fold32(string_attribute(item, "brand")), allow);
  std::vector<std::string> zh_facts = {item.title, item.description};
  zh_facts.insert(zh_facts.end(), item.tags.begin(), item.tags.end());
  for (const auto& fact : zh_facts)
    if (has_cjk(fact)) for_each_latin_word(detail::fold32(fact), allow);
  std::size_t letters = 0;
  for_each_latin_word(detail::fold32(text), [&](std::u32string_view word) {
    if (!allowed.contains(word)) letters += word.size();
  });
  return letters;
}

// Why generated text is unusable before grounding, or "".
std::string language_problem(const std::string& text, const std::string& lang, const data::Item& item) {
  auto counts = detail::script_counts(text);
  if (lang == "zh") {
    if (detail::detect_language(text) != "zh") return "language: expected Chinese text";
    // At most a fifth of the letters may be English the item's facts do not use.
    const std::size_t foreign = foreign_latin_letters(text, item);
    if (foreign * 5 > counts.cjk + foreign) return "language: Chinese copy with untranslated English";
  }
  // English copy: no ideograph except the brand's own Chinese name ("No痕
  // fabric" is a model slipping into the prompt's language).
  if (lang == "en") {
    if (counts.latin < 4) return "language: expected English text";
    std::u32string rest = detail::fold32(text);
    for (const auto& spelling : brand_group_spellings(item))
      for (auto at = rest.find(spelling); at != std::u32string::npos; at = rest.find(spelling))
        rest.erase(at, spelling.size());
    if (detail::script_counts(to_utf8(rest)).cjk > 0) return "language: Chinese characters in English copy";
  }
  return "";
}

// Words of the prompt a small model parrots back instead of writing copy.
constexpr std::string_view kPromptEcho[] = {
    "请用中文", "文案写手", "商品信息", "用户兴趣", "只输出", "只使用给出", "电商文案", "product facts",
    "customer interests", "reply with", "marketing copy", "online shop", "i'm here to help", "as an ai",
    "your request", "happy to assist", "how can i help", "i can help"};

// The fact labels of copy_messages, in fold() form (full-width colon folded).
constexpr std::string_view kFactLabels[] = {"标题:", "品牌:", "价格:", "类目:", "标签:", "描述:", "颜色:",
                                            "title:", "brand:", "price:", "category:", "tags:", "description:",
                                            "colour:"};

// Distinctive words of the worked example in copy_messages.
constexpr std::string_view kExampleLeaks[] = {"云朵", "雨衣", "可收纳", "压胶", "风雨", "cloudy", "rain jacket",
                                              "taped seams", "packs small", "keep you dry", "rain or shine"};

// Why grounded text is still not copy for this item, or "". Grounding only
// forbids false statements; a 135M model also writes true nonsense ("Hello!
// I'm here to help with your kitchen needs."), so the text must name the
// item: its brand (worth 2) or words of its title / tags (1 each), >= 2.
std::string relevance_problem(const std::string& text, const data::Item& item) {
  auto folded = detail::fold32(text);
  for (auto echo : kPromptEcho)
    if (folded.find(to_u32(echo)) != std::u32string::npos) return "text: repeats the instructions ('" + std::string(echo) + "')";
  // The worked example's claims are not this item's (unless it happens to share them).
  auto facts = detail::fold32(item.title + " | " + item.description + " | " + join(item.tags, " | "));
  for (auto leak : kExampleLeaks) {
    auto term = to_u32(leak);
    if (detail::contains_term(folded, term) && !detail::contains_term(facts, term))
      return "text: copies the prompt's example ('" + std::string(leak) + "')";
  }
  if (folded.find(U'\uFFFD') != std::u32string::npos) return "text: contains broken characters";
  // Two of the prompt's fact labels ("标题：… 品牌：…", "Title: … Brand: …"): the
  // fact sheet handed back, not copy (a base model without chat tuning does it).
  int labels = 0;
  for (auto label : kFactLabels)
    if (folded.find(to_u32(label)) != std::u32string::npos) ++labels;
  if (labels >= 2) return "text: repeats the item's fact sheet";
  int score = 0;
  std::set<std::u32string> counted;
  auto credit = [&](const std::u32string& word, int points) {
    if (word.empty() || counted.contains(word) || !detail::contains_term(folded, word)) return;
    counted.insert(word);
    score += points;
  };
  credit(detail::fold32(string_attribute(item, "brand")), 2);
  for (const auto& spelling : brand_group_spellings(item)) credit(spelling, 2);  // IronDen -> 铁馆
  static const std::set<std::u32string> kStop = {U"the", U"and", U"for", U"with", U"set", U"new", U"pro", U"men's",
                                                 U"women's", U"mens", U"womens"};
  std::vector<std::string> sources = {item.title};
  for (const auto& tag : item.tags) sources.push_back(tag);
  for (const auto& source : sources) {
    auto words = detail::fold32(source);
    std::size_t pos = 0;
    while (pos < words.size()) {
      std::size_t end = pos;
      if (detail::is_cjk(words[pos])) {
        while (end < words.size() && detail::is_cjk(words[end])) ++end;
        // A Chinese run counts when any two-character piece of it appears (瑜伽 of 无痕高腰瑜伽裤).
        bool hit = false;
        for (std::size_t k = pos; k + 2 <= end && !hit; ++k)
          hit = folded.find(words.substr(k, 2)) != std::u32string::npos;
        if (hit && counted.insert(words.substr(pos, end - pos)).second) ++score;
      } else if (detail::is_ascii_alpha(words[pos])) {
        while (end < words.size() && (detail::is_ascii_alnum(words[end]) || words[end] == U'-' || words[end] == U'\'')) ++end;
        auto word = words.substr(pos, end - pos);
        if (word.size() >= 3 && !kStop.contains(word)) credit(word, 1);
      } else {
        end = pos + 1;
      }
      pos = std::max(end, pos + 1);
    }
  }
  return score >= 2 ? "" : "text: does not name the item (its brand or title words)";
}

}  // namespace

Channel parse_channel(const std::string& name) {
  auto folded = lower_ascii(data::normalize_text(name));
  if (folded == "push") return Channel::kPush;
  if (folded == "sms") return Channel::kSms;
  if (folded == "email") return Channel::kEmail;
  throw_error(ErrorCode::kInvalidArgument, "channel: expected push, sms or email, got '" + name + "'");
}

std::size_t channel_max_chars(Channel channel, const std::string& lang) {
  TAILOR_CHECK_ARG(lang == "zh" || lang == "en", "lang: expected zh or en, got '" + lang + "'");
  bool zh = lang == "zh";
  switch (channel) {
    case Channel::kPush: return zh ? 60 : 110;
    case Channel::kSms: return zh ? 70 : 160;
    case Channel::kEmail: return zh ? 600 : 1200;
  }
  return zh ? 60 : 110;
}

bool is_small_generator(const std::string& model_id) {
  std::string id = model_id;
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
  // "...-135m-...", "...-360m-..." (parameter counts in millions) mark the small ones.
  for (std::size_t at = id.find('m'); at != std::string::npos; at = id.find('m', at + 1)) {
    std::size_t digits = 0;
    while (digits < at && std::isdigit(static_cast<unsigned char>(id[at - 1 - digits]))) ++digits;
    const bool bounded = at + 1 == id.size() || !std::isalpha(static_cast<unsigned char>(id[at + 1]));
    if (digits >= 2 && bounded) return true;
  }
  return false;
}

bool is_small_generator(const llm::Generator& generator) {
  const std::uint64_t params = generator.parameter_count();
  return params > 0 ? params < 400'000'000ull : is_small_generator(generator.model_id());
}

CopyResult write_copy(const store::Store& store, llm::Generator* generator, const CopyRequest& request) {
  TAILOR_CHECK_ARG(!request.item.empty(), "item: must not be empty");
  TAILOR_CHECK_ARG(request.lang == "zh" || request.lang == "en", "lang: expected zh or en, got '" + request.lang + "'");
  TAILOR_CHECK_ARG(request.max_attempts >= 0 && request.max_attempts <= 10,
                   "max_attempts: expected 0..10, got " + std::to_string(request.max_attempts));
  auto item = store.get_item(request.item);
  if (!item) throw_error(ErrorCode::kNotFound, "item '" + request.item + "' is not in the store");
  std::vector<std::string> interests;
  if (!request.user.empty()) {
    if (!store.get_user(request.user)) throw_error(ErrorCode::kNotFound, "user '" + request.user + "' is not in the store");
    interests = user_interests(store, request.user);
  }
  auto limit = channel_max_chars(request.channel, request.lang);

  CopyResult result;
  if (generator != nullptr && request.lang == "zh" && !request.allow_small_model_zh &&
      is_small_generator(*generator)) {
    result.report.violations.push_back("generator: " + generator->model_id() +
                                       " is too small for fluent Chinese; template used (configure a larger "
                                       "--generator-model or --generator-url, or allow it explicitly)");
    generator = nullptr;
  }
  if (generator != nullptr) {
    auto messages = copy_messages(*item, request.channel, request.lang, interests);
    for (int attempt = 0; attempt < request.max_attempts; ++attempt) {
      llm::GenerateOptions options;
      options.max_tokens = copy_max_tokens(request.channel);
      options.temperature = 0.7f;
      options.top_p = 0.9f;
      options.seed = request.seed + kSeedStride * static_cast<std::uint32_t>(attempt);
      // Push and SMS keep only the first paragraph: stop generating there.
      if (request.channel != Channel::kEmail) options.stop = {"\n\n"};
      auto generated = generator->chat(messages, options);
      ++result.attempts;
      auto text = clean_generated(generated.text, request.channel);
      // Cut off by max_tokens: the last sentence is a fragment; keep the whole ones.
      if (generated.finish_reason == "length") text = drop_unfinished_sentence(text);
      text = detail::fit_chars(text, limit);
      GroundingReport report;
      if (detail::count_chars(text) < kMinCopyChars) {
        report.grounded = false;
        report.violations.push_back("text: empty or shorter than " + std::to_string(kMinCopyChars) + " characters");
      } else if (auto problem = language_problem(text, request.lang, *item); !problem.empty()) {
        report.grounded = false;
        report.violations.push_back(problem);
      } else if (auto off_topic = relevance_problem(text, *item); !off_topic.empty()) {
        report.grounded = false;
        report.violations.push_back(off_topic);
      } else {
        report = check_grounding(text, *item, request.lang);
      }
      result.report = report;
      if (report.grounded) {
        result.text = text;
        result.grounded = true;
        result.fallback = false;
        result.interests = interests;
        return result;
      }
    }
  }
  auto interest = shared_interest(*item, interests, request.lang);
  result.text = template_copy(*item, request.channel, request.lang, interest);
  result.fallback = true;
  result.grounded = check_grounding(result.text, *item, request.lang).grounded;
  if (interest) result.interests = {*interest};
  return result;
}

}  // namespace tailor::semantic
