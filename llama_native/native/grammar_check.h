// Grammar checks that need no model: parse a GBNF grammar with llama.cpp's
// own parser and ask llama.cpp's own grammar engine whether it accepts a
// complete string.
#pragma once

#include <string>

namespace llama_native {

// Throws std::invalid_argument carrying llama.cpp's parser message.
void validate_grammar(const std::string &grammar, const std::string &root);
// True when the grammar accepts `text` as a complete sentence.
bool grammar_accepts(const std::string &grammar, const std::string &root, const std::string &text);

}  // namespace llama_native
