// Label rules: a one-rule-per-line parser into an index-based expression tree,
// and its evaluation on a profile.
//
// Grammar (one line):
//   line    := 'label' STRING 'when' or_expr | empty      ('#' starts a comment)
//   or_expr := and_expr ('or' and_expr)*
//   and_expr:= unary ('and' unary)*
//   unary   := 'not' unary | '(' or_expr ')' | operand OP value
//   operand := NAME ('.' NAME)*          feature name or attributes.NAME
//   value   := NUMBER | STRING | true | false
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "tailor/profile/profile.h"

namespace tailor::profile {
namespace {

bool is_known_feature(const std::string& name) {
  for (auto fixed : fixed_feature_names())
    if (name == fixed) return true;
  auto has_suffix_after = [&](std::string_view prefix) {
    return name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0;
  };
  return has_suffix_after(kAffinityPrefix) || has_suffix_after(kChannelPrefix);
}

enum class Tok { kName, kString, kNumber, kOp, kLParen, kRParen, kEnd };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  double number = 0;
  std::size_t offset = 0;  // byte offset in the line
};

}  // namespace

// Parses one rule file; holds the position for error messages.
class RuleParser {
 public:
  RuleParser(RuleSet& set, std::string source) : set_(set), source_(std::move(source)) {}

  void parse_line(std::string_view line, int line_no) {
    line_ = line;
    line_no_ = line_no;
    pos_ = 0;
    next();
    if (tok_.kind == Tok::kEnd) return;  // blank or comment
    if (!(tok_.kind == Tok::kName && tok_.text == "label")) fail(tok_.offset, "expected 'label'");
    next();
    if (tok_.kind != Tok::kString) fail(tok_.offset, "expected the label as a quoted string");
    if (tok_.text.empty()) fail(tok_.offset, "empty label");
    RuleSet::Rule rule;
    rule.label = tok_.text;
    rule.line = line_no;
    next();
    if (!(tok_.kind == Tok::kName && tok_.text == "when")) fail(tok_.offset, "expected 'when'");
    next();
    rule.root = parse_or();
    if (tok_.kind != Tok::kEnd) fail(tok_.offset, "unexpected '" + tok_.text + "' (expected 'and', 'or' or end of line)");
    set_.rules_.push_back(std::move(rule));
  }

 private:
  [[noreturn]] void fail(std::size_t offset, const std::string& message) const {
    // Column in UTF-8 characters: count the bytes that start a character.
    int column = 1;
    for (std::size_t b = 0; b < offset && b < line_.size(); ++b)
      column += (static_cast<unsigned char>(line_[b]) & 0xC0) != 0x80;
    throw_error(ErrorCode::kInvalidArgument,
                source_ + ":" + std::to_string(line_no_) + ":" + std::to_string(column) + ": " + message);
  }

  void next() {
    while (pos_ < line_.size() && (line_[pos_] == ' ' || line_[pos_] == '\t' || line_[pos_] == '\r')) ++pos_;
    tok_ = Token{};
    tok_.offset = pos_;
    if (pos_ >= line_.size() || line_[pos_] == '#') {
      tok_.kind = Tok::kEnd;
      return;
    }
    const char c = line_[pos_];
    if (c == '"') {
      std::string text;
      ++pos_;
      while (true) {
        if (pos_ >= line_.size()) fail(tok_.offset, "unterminated string");
        char ch = line_[pos_++];
        if (ch == '"') break;
        if (ch == '\\') {
          if (pos_ >= line_.size() || (line_[pos_] != '"' && line_[pos_] != '\\'))
            fail(pos_ - 1, "unknown escape (only \\\" and \\\\)");
          ch = line_[pos_++];
        }
        text += ch;
      }
      if (!data::is_valid_utf8(text)) fail(tok_.offset, "string is not valid UTF-8");
      tok_.kind = Tok::kString;
      tok_.text = std::move(text);
      return;
    }
    if (c == '(' || c == ')') {
      tok_.kind = c == '(' ? Tok::kLParen : Tok::kRParen;
      tok_.text = std::string(1, c);
      ++pos_;
      return;
    }
    if (c == '=' || c == '!' || c == '<' || c == '>') {
      std::string op(1, c);
      ++pos_;
      if (pos_ < line_.size() && line_[pos_] == '=') {
        op += '=';
        ++pos_;
      }
      if (op == "=" || op == "!") fail(tok_.offset, "unknown operator '" + op + "' (use == or !=)");
      tok_.kind = Tok::kOp;
      tok_.text = op;
      return;
    }
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
      std::size_t end = pos_ + 1;
      while (end < line_.size() && (std::isalnum(static_cast<unsigned char>(line_[end])) || line_[end] == '.' ||
                                    ((line_[end] == '-' || line_[end] == '+') &&
                                     (line_[end - 1] == 'e' || line_[end - 1] == 'E'))))
        ++end;
      std::string text(line_.substr(pos_, end - pos_));
      std::size_t used = 0;
      double value = 0;
      try {
        value = std::stod(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != text.size() || !std::isfinite(value)) fail(tok_.offset, "bad number '" + text + "'");
      tok_.kind = Tok::kNumber;
      tok_.number = value;
      tok_.text = text;
      pos_ = end;
      return;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t end = pos_;
      while (end < line_.size() && (std::isalnum(static_cast<unsigned char>(line_[end])) || line_[end] == '_' ||
                                    line_[end] == '.' || line_[end] == '-'))
        ++end;
      tok_.kind = Tok::kName;
      tok_.text = std::string(line_.substr(pos_, end - pos_));
      pos_ = end;
      return;
    }
    // Report the whole UTF-8 character.
    std::size_t end = pos_ + 1;
    while (end < line_.size() && (static_cast<unsigned char>(line_[end]) & 0xC0) == 0x80) ++end;
    fail(tok_.offset, "unexpected character '" + std::string(line_.substr(pos_, end - pos_)) + "'");
  }

  int add(RuleSet::Node node) {
    set_.nodes_.push_back(std::move(node));
    return static_cast<int>(set_.nodes_.size() - 1);
  }

  int parse_or() {
    int lhs = parse_and();
    while (tok_.kind == Tok::kName && tok_.text == "or") {
      next();
      RuleSet::Node node;
      node.kind = RuleSet::Node::Kind::kOr;
      node.lhs = lhs;
      node.rhs = parse_and();
      lhs = add(std::move(node));
    }
    return lhs;
  }

  int parse_and() {
    int lhs = parse_unary();
    while (tok_.kind == Tok::kName && tok_.text == "and") {
      next();
      RuleSet::Node node;
      node.kind = RuleSet::Node::Kind::kAnd;
      node.lhs = lhs;
      node.rhs = parse_unary();
      lhs = add(std::move(node));
    }
    return lhs;
  }

  int parse_unary() {
    if (tok_.kind == Tok::kName && tok_.text == "not") {
      next();
      RuleSet::Node node;
      node.kind = RuleSet::Node::Kind::kNot;
      node.lhs = parse_unary();
      return add(std::move(node));
    }
    if (tok_.kind == Tok::kLParen) {
      next();
      int inner = parse_or();
      if (tok_.kind != Tok::kRParen) fail(tok_.offset, "expected ')'");
      next();
      return inner;
    }
    if (tok_.kind != Tok::kName || tok_.text == "and" || tok_.text == "or")
      fail(tok_.offset, tok_.kind == Tok::kEnd ? "expected a condition" : "expected a feature name, got '" + tok_.text + "'");
    RuleSet::Node node;
    const Token operand = tok_;
    constexpr std::string_view kAttr = "attributes.";
    if (operand.text.compare(0, kAttr.size(), kAttr) == 0 && operand.text.size() > kAttr.size()) {
      node.is_attribute = true;
      node.field = operand.text.substr(kAttr.size());
    } else {
      if (!is_known_feature(operand.text)) fail(operand.offset, "unknown feature '" + operand.text + "'");
      node.field = operand.text;
    }
    next();
    if (tok_.kind != Tok::kOp) fail(tok_.offset, "expected a comparison (==, !=, <, <=, >, >=)");
    const Token op = tok_;
    node.op = op.text == "==" ? RuleSet::Op::kEq
              : op.text == "!=" ? RuleSet::Op::kNe
              : op.text == "<"  ? RuleSet::Op::kLt
              : op.text == "<=" ? RuleSet::Op::kLe
              : op.text == ">"  ? RuleSet::Op::kGt
                                : RuleSet::Op::kGe;
    next();
    if (tok_.kind == Tok::kNumber) {
      node.number = tok_.number;
    } else if (tok_.kind == Tok::kString || (tok_.kind == Tok::kName && (tok_.text == "true" || tok_.text == "false"))) {
      node.value_is_string = tok_.kind == Tok::kString;
      if (node.value_is_string) {
        node.text = tok_.text;
        if (!node.is_attribute) fail(tok_.offset, "feature '" + node.field + "' is numeric; compare it with a number");
        if (node.op != RuleSet::Op::kEq && node.op != RuleSet::Op::kNe)
          fail(op.offset, "strings compare only with == and !=");
      } else {
        // true / false: booleans compare as 1 / 0.
        node.number = tok_.text == "true" ? 1 : 0;
      }
    } else {
      fail(tok_.offset, "expected a number or a quoted string");
    }
    next();
    return add(std::move(node));
  }

  RuleSet& set_;
  std::string source_;
  std::string_view line_;
  int line_no_ = 0;
  std::size_t pos_ = 0;
  Token tok_;
};

RuleSet RuleSet::parse(std::string_view text, const std::string& source) {
  RuleSet set;
  RuleParser parser(set, source);
  int line_no = 0;
  std::size_t start = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") start = 3;  // UTF-8 byte order mark
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    parser.parse_line(text.substr(start, end - start), ++line_no);
    start = end + 1;
  }
  return set;
}

RuleSet RuleSet::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(ErrorCode::kNotFound, path + ": cannot read the rule file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

RuleSet RuleSet::defaults() { return parse(default_rules_text(), "default_labels.rules"); }

bool RuleSet::eval(int index, const UserProfile& profile) const {
  const Node& node = nodes_[static_cast<std::size_t>(index)];
  switch (node.kind) {
    case Node::Kind::kAnd: return eval(node.lhs, profile) && eval(node.rhs, profile);
    case Node::Kind::kOr: return eval(node.lhs, profile) || eval(node.rhs, profile);
    case Node::Kind::kNot: return !eval(node.lhs, profile);
    case Node::Kind::kCompare: break;
  }
  double lhs = std::numeric_limits<double>::quiet_NaN();
  if (node.is_attribute) {
    auto it = profile.attributes.find(node.field);
    if (it == profile.attributes.end()) return false;
    if (node.value_is_string) {
      if (!it->is_string()) return false;
      const bool equal = it->get<std::string>() == node.text;
      return node.op == Op::kEq ? equal : !equal;
    }
    if (it->is_number()) lhs = it->get<double>();
    else if (it->is_boolean()) lhs = it->get<bool>() ? 1 : 0;
    else return false;
  } else {
    // Affinity/channel names absent from this store are 0 for active users.
    auto value = profile.feature(node.field);
    const bool per_store = node.field.rfind(kAffinityPrefix, 0) == 0 || node.field.rfind(kChannelPrefix, 0) == 0;
    if (value) lhs = *value;
    else if (per_store && profile.event_count > 0) lhs = 0;
  }
  if (std::isnan(lhs)) return false;
  switch (node.op) {
    case Op::kEq: return lhs == node.number;
    case Op::kNe: return lhs != node.number;
    case Op::kLt: return lhs < node.number;
    case Op::kLe: return lhs <= node.number;
    case Op::kGt: return lhs > node.number;
    case Op::kGe: return lhs >= node.number;
  }
  return false;
}

std::vector<std::string> RuleSet::labels_for(const UserProfile& profile) const {
  std::vector<std::string> out;
  for (const auto& rule : rules_)
    if (eval(rule.root, profile) && std::find(out.begin(), out.end(), rule.label) == out.end())
      out.push_back(rule.label);
  return out;
}

std::vector<std::string> RuleSet::labels() const {
  std::vector<std::string> out;
  for (const auto& rule : rules_)
    if (std::find(out.begin(), out.end(), rule.label) == out.end()) out.push_back(rule.label);
  return out;
}

}  // namespace tailor::profile
