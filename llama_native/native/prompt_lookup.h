// Prompt-lookup drafting for speculative decoding: the tokens that followed
// an earlier occurrence of the history's last n-gram are proposed as a
// draft, which the token loop verifies position by position in one batch.
#pragma once

#include <llama.h>

#include <cstddef>
#include <vector>

namespace llama_native {

// The history is `cached` followed by `next`.  Tries n-grams from
// `ngram_max` down to 1, the most recent earlier occurrence first, and
// returns up to `room` tokens that followed it (empty: no draft).
std::vector<llama_token> prompt_lookup_draft(const std::vector<llama_token> &cached, llama_token next,
                                             size_t ngram_max, size_t room);

}  // namespace llama_native
