// The event-type registry: how much each kind of behaviour says about preference.
#include <charconv>
#include <cmath>

#include "tailor/data/data.h"

namespace tailor::data {

EventTypes EventTypes::defaults() {
  EventTypes t;
  // Weights follow the usual implicit-feedback ladder: a purchase says more than
  // a cart, a cart more than a click, a click more than a view.
  t.set({"view", 0.5});
  t.set({"click", 1.0});
  t.set({"add_to_cart", 3.0});
  t.set({"purchase", 5.0});
  t.set({"rating", 1.0, false, false});
  t.set({"like", 2.0});
  t.set({"share", 2.0});
  t.set({"comment", 2.0});
  t.set({"review", 2.0});
  t.set({"tag", 1.0});
  t.set({"dislike", -3.0, true});
  return t;
}

void EventTypes::set(EventType type) {
  TAILOR_CHECK_ARG(!type.name.empty(), "event type: name must not be empty");
  TAILOR_CHECK_ARG(std::isfinite(type.weight), "event type '" + type.name + "': weight must be finite");
  if (type.weight < 0) type.negative = true;
  for (auto& t : types_) {
    if (t.name == type.name) {
      t = std::move(type);
      return;
    }
  }
  types_.push_back(std::move(type));
}

const EventType* EventTypes::find(std::string_view name) const {
  for (const auto& t : types_)
    if (t.name == name) return &t;
  return nullptr;
}

std::optional<double> EventTypes::weight(std::string_view name, double value) const {
  const EventType* t = find(name);
  if (t == nullptr) {
    if (!allow_unknown) return std::nullopt;
    return default_weight;
  }
  if (t->scale_by_value) return t->weight * value;
  return t->weight;
}

std::uint64_t event_fingerprint(const Event& event) {
  // FNV-1a, 64 bit: stable across platforms and releases, unlike std::hash.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t k = 0; k < n; ++k) {
      h ^= p[k];
      h *= 0x100000001b3ULL;
    }
  };
  double value = event.value == 0.0 ? 0.0 : event.value;  // -0.0 and 0.0 are the same value
  mix(&value, sizeof value);
  mix(event.channel.data(), event.channel.size());
  mix("\x1f", 1);
  if (event.context.is_object() && !event.context.empty()) {
    std::string text = event.context.dump(-1, ' ', false, Json::error_handler_t::replace);
    mix(text.data(), text.size());
  }
  return h;
}

std::vector<EventType> EventTypes::all() const { return types_; }

void EventTypes::apply_spec(std::string_view spec) {
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    std::size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    std::string_view entry = spec.substr(pos, comma - pos);
    pos = comma + 1;
    if (entry.empty()) {
      if (comma == spec.size()) break;
      continue;
    }
    std::size_t eq = entry.find('=');
    TAILOR_CHECK_ARG(eq != std::string_view::npos && eq > 0,
                     "event types: entry '" + std::string(entry) + "' must be name=weight");
    std::string name(entry.substr(0, eq));
    std::string_view w = entry.substr(eq + 1);
    double weight = 0;
    auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
    TAILOR_CHECK_ARG(ec == std::errc() && p == w.data() + w.size() && std::isfinite(weight),
                     "event types: weight of '" + name + "' is not a number: '" + std::string(w) + "'");
    EventType t;
    if (const EventType* old = find(name)) t = *old;
    t.name = name;
    t.weight = weight;
    t.negative = weight < 0;
    set(t);
    if (comma == spec.size()) break;
  }
}

}  // namespace tailor::data
