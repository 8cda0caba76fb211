// Text normalisation with ICU: NFC, whitespace folding, control characters out.
// Chinese and English text pass through unchanged apart from normalisation.
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "tailor/data/data.h"

namespace tailor::data {

bool is_valid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  int32_t len = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < len) {
    UChar32 c;
    U8_NEXT(s, i, len, c);
    if (c < 0) return false;
  }
  return true;
}

std::string normalize_text(std::string_view text) {
  // Fast path: printable ASCII without doubled or edge spaces is already normal.
  bool simple = true;
  for (std::size_t k = 0; k < text.size(); ++k) {
    unsigned char c = static_cast<unsigned char>(text[k]);
    if (c >= 0x80 || c < 0x20 || c == 0x7f ||
        (c == ' ' && (k == 0 || k + 1 == text.size() || text[k + 1] == ' '))) {
      simple = false;
      break;
    }
  }
  if (simple) return std::string(text);

  // Decode (invalid sequences become U+FFFD), drop controls, fold whitespace.
  icu::UnicodeString folded;
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  int32_t len = static_cast<int32_t>(text.size());
  int32_t i = 0;
  bool pending_space = false;
  while (i < len) {
    UChar32 c;
    U8_NEXT(s, i, len, c);
    if (c < 0) c = 0xFFFD;
    if (u_isUWhiteSpace(c) || c == 0x3000 || c == 0x00A0) {
      pending_space = folded.length() > 0;
      continue;
    }
    if (u_iscntrl(c) || c == 0x200B || c == 0xFEFF) continue;  // controls, zero-width space, BOM
    if (pending_space) {
      folded.append(static_cast<UChar>(' '));
      pending_space = false;
    }
    folded.append(c);
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) throw_error(ErrorCode::kInternal, "ICU NFC normaliser unavailable");
  icu::UnicodeString normal = nfc->normalize(folded, status);
  if (U_FAILURE(status)) throw_error(ErrorCode::kInternal, "ICU normalisation failed");
  std::string out;
  normal.toUTF8String(out);
  return out;
}

std::optional<std::string> validate_id(std::string_view id) {
  if (id.empty()) return "must not be empty";
  if (id.size() > 256) return "longer than 256 bytes";
  if (!is_valid_utf8(id)) return "not valid UTF-8";
  for (unsigned char c : id)
    if (c < 0x20 || c == 0x7f) return "contains a control character";
  return std::nullopt;
}

}  // namespace tailor::data
