// Investor suitability (rank.h): the pure rule. Where it is applied (every
// recommendation, search, chat and campaign path) is the callers' concern;
// this file only decides.
#include <algorithm>
#include <cctype>
#include <string>

#include "tailor/core/core.h"
#include "tailor/rank/rank.h"

namespace tailor::rank {
namespace {

// "R3" / " r3 " -> 3 for prefix 'R'; 0 when the text is not <prefix><1..5>.
int parse_level(std::string text, char prefix) {
  text.erase(std::remove_if(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); }), text.end());
  if (text.size() != 2) return 0;
  if (std::toupper(static_cast<unsigned char>(text[0])) != prefix) return 0;
  if (text[1] < '1' || text[1] > '5') return 0;
  return text[1] - '0';
}

}  // namespace

std::optional<int> item_risk_rating(const data::Item& item) {
  if (!item.attributes.is_object()) return std::nullopt;
  const auto found = item.attributes.find("risk_rating");
  if (found == item.attributes.end() || found->is_null()) return std::nullopt;
  const int level = found->is_string() ? parse_level(found->get<std::string>(), 'R') : 0;
  return level > 0 ? level : 5;
}

InvestorClass investor_class(const data::User* user, Timestamp now, int validity_days) {
  if (user == nullptr) return {0, "unknown investor"};
  if (!user->attributes.is_object()) return {0, "no risk_class"};
  const auto found = user->attributes.find("risk_class");
  if (found == user->attributes.end() || found->is_null()) return {0, "no risk_class"};
  const int level = found->is_string() ? parse_level(found->get<std::string>(), 'C') : 0;
  if (level == 0) return {0, "risk_class is not one of C1..C5"};
  const auto assessed = user->attributes.find("risk_assessed_at");
  if (assessed != user->attributes.end() && !assessed->is_null()) {
    std::optional<Timestamp> at;
    if (assessed->is_number_integer()) at = assessed->get<Timestamp>();
    if (assessed->is_string()) at = parse_timestamp(assessed->get<std::string>());
    if (!at) return {0, "risk_assessed_at is not a time"};
    if (now - *at > static_cast<Timestamp>(validity_days) * 86400)
      return {0, "risk profile expired (assessed more than " + std::to_string(validity_days) + " days ago)"};
  }
  return {level, ""};
}

std::optional<std::string> check_suitability(const InvestorClass& investor, const data::Item& item) {
  const std::optional<int> risk = item_risk_rating(item);
  if (!risk || *risk == 1) return std::nullopt;
  if (investor.level == 0)
    return "R" + std::to_string(*risk) + " product, but the investor has no valid risk class (" + investor.reason +
           "): only R1 may be offered";
  if (*risk > investor.level)
    return "R" + std::to_string(*risk) + " product exceeds the investor's class C" + std::to_string(investor.level);
  return std::nullopt;
}

}  // namespace tailor::rank
