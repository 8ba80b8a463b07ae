// Token sampling: a llama.cpp sampler chain plus an optional GBNF grammar,
// applied the way llama.cpp's common sampler does it (sample first, check the
// one token against the grammar, mask the whole vocabulary only on rejection).
#pragma once

#include "model.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace llama_native {

struct SamplingParams {
    float temperature = 0.8f;
    int top_k = 40;
    float top_p = 0.95f;
    float min_p = 0.05f;
    float typical_p = 1.0f;
    float repeat_penalty = 1.0f;
    float presence_penalty = 0.0f;
    float frequency_penalty = 0.0f;
    int penalty_last_n = 64;
    uint32_t seed = LLAMA_DEFAULT_SEED;
    std::vector<std::pair<llama_token, float>> logit_bias;
    std::string grammar;  // GBNF; empty = unconstrained
    std::string grammar_root = "root";
};

// Parses a GBNF grammar against a vocabulary; throws std::invalid_argument
// with llama.cpp's parser message when it is invalid.
llama_sampler *make_grammar_sampler(const Model &model, const std::string &grammar, const std::string &root);

class Sampler {
  public:
    Sampler(const Model &model, const SamplingParams &params);
    ~Sampler();
    Sampler(const Sampler &) = delete;
    Sampler &operator=(const Sampler &) = delete;

    // Choose the next token from the logits of output `idx` of the last decode.
    llama_token sample(llama_context *ctx, int idx);
    // Record a chosen token (penalties history, grammar state).
    void accept(llama_token token);
    bool has_grammar() const { return grammar_ != nullptr; }
    // Number of steps where the first choice was rejected by the grammar.
    int64_t grammar_resamples() const { return resamples_; }

  private:
    void fill_candidates(const float *logits);
    bool grammar_allows(llama_token token);

    const Model &model_;
    llama_sampler *chain_ = nullptr;
    llama_sampler *grammar_ = nullptr;
    bool plain_greedy_ = false;  // greedy with no bias/penalties: argmax on raw logits
    int n_vocab_;
    std::vector<llama_token_data> candidates_;
    int64_t resamples_ = 0;
};

}  // namespace llama_native
