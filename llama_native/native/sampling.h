// Token sampling: a llama.cpp sampler chain plus an optional grammar (either engine, grammar_engine.h),
// applied the way llama.cpp's common sampler does it (sample first, check the
// one token against the grammar, mask the whole vocabulary only on rejection).
//
// An optional end check vets every token that would complete the grammar's
// value (and end-of-generation): keywords a grammar can only approximate
// (JSON Schema's `not`, `oneOf` exclusivity, ...) are checked there, and a
// token that would complete an invalid value is refused like a token the
// grammar rejects, so the model has to continue instead.
#pragma once

#include "grammar_engine.h"
#include "timing.h"
#include "model.h"
#include "reasoning_budget.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace llama_native {

// The grammar engine a sampler runs (SamplingParams::engine), chosen in one
// place on the Python side; the Sampler builds what it names, nothing else.
enum class GrammarEngineKind { none, gbnf, llguidance };

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
    // Mirostat (0: off, 1: v1, 2: v2) replaces top-k/top-p/min-p/typical sampling.
    int mirostat = 0;
    float mirostat_tau = 5.0f, mirostat_eta = 0.1f;
    // Top-n-sigma (llama.cpp's --top-n-sigma): keep the tokens whose logit is within
    // this many standard deviations of the top one (<= 0: off).
    float top_n_sigma = -1.0f;
    // Log-probabilities of each chosen token and of the `n_probs` most likely
    // ones at its position (-1: off), from the logits the model gave.
    int n_probs = -1;
    uint32_t seed = LLAMA_DEFAULT_SEED;
    std::vector<std::pair<llama_token, float>> logit_bias;
    // Which engine constrains the output (chosen once, in Python: request/structure.py's
    // choose_engine): none, llama.cpp's GBNF engine on `grammar`, or llguidance on
    // `llg_kind`/`llg_data`.  A grammar left without its engine is an error.
    GrammarEngineKind engine = GrammarEngineKind::none;
    std::string grammar;  // GBNF, for GrammarEngineKind::gbnf
    std::string grammar_root = "root";
    // Lazy grammar: unconstrained until the output matches a trigger pattern
    // (a regex, searched anywhere; "^...$" must match the whole output) or a
    // trigger token appears; the grammar then parses from the pattern's first
    // capture group (or the match) onwards.
    bool grammar_lazy = false;
    std::vector<std::string> grammar_trigger_patterns;
    std::vector<llama_token> grammar_trigger_tokens;
    // Text the prompt already ends with that a (non-lazy) grammar parses
    // first: llama.cpp's chat layer writes tool-call grammars from the
    // assistant turn's opening (its "generation prompt") on.
    std::string grammar_prefill;
    // Reasoning budget (reasoning_budget.h): at most this many tokens inside
    // the reasoning block (-1: no cap), then `reasoning_end` is forced.
    int reasoning_budget = -1;
    std::string reasoning_start, reasoning_end;
    bool reasoning_opened = false;  // the prompt ends inside the block
    // llguidance engine (see llguidance.h), for GrammarEngineKind::llguidance:
    // `llg_kind` (one of kLlgKinds) names what `llg_data` is; one it refuses raises.
    std::string llg_kind;
    std::string llg_data;
};

// The constraint kinds llguidance takes as `SamplingParams::llg_kind` ("": none):
// a regex, a JSON Schema ("json" and "json_schema" alike), a Lark grammar, or
// llguidance's own JSON grammar list.
inline constexpr const char *kLlgKinds[] = {"", "regex", "json", "json_schema", "lark", "llguidance"};
// Throws std::invalid_argument naming the kinds of kLlgKinds unless `kind` is one.
void check_llg_kind(const std::string &kind);

// The log-probability of a chosen token and the most likely tokens at its position.
struct TokenLogprob {
    llama_token token = -1;
    float logprob = 0.0f;
    std::vector<std::pair<llama_token, float>> top;  // most likely first
};

// Computes a TokenLogprob from raw logits (log-softmax over the vocabulary).
TokenLogprob token_logprob(const float *logits, int n_vocab, llama_token token, int n_top);

// Rewrites the logits of one position before sampling (a Python logits processor).
using LogitsHook = std::function<void(float *logits, int n_vocab)>;

// No token is left that the grammar and the end check both allow.
struct NoValidContinuation : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Vets a token that would complete the value (`eog`: the end-of-generation
// token ending it); returns false to refuse it.
using EndCheck = std::function<bool(llama_token token, bool eog)>;

class Sampler {
  public:
    Sampler(const Model &model, const SamplingParams &params);
    ~Sampler();
    Sampler(const Sampler &) = delete;
    Sampler &operator=(const Sampler &) = delete;

    // Choose the next token from the logits of output `idx` of the last decode.
    llama_token sample(llama_context *ctx, int idx);
    // The same choice from a row of logits given by the caller (rewritten in place by the logits hook).
    llama_token sample_logits(float *logits);
    // Record a chosen token (penalties history, grammar state).
    void accept(llama_token token);
    bool has_grammar() const { return grammar_ != nullptr; }
    // Whether the grammar offers forced tokens (jump-forward; llguidance).
    bool forces_tokens() const { return grammar_ && grammar_->forces_tokens(); }
    const char *engine() const { return grammar_ ? grammar_->name() : "none"; }
    // Tokens the grammar forces next, in their canonical tokenization (llguidance only).
    std::vector<llama_token> forced_tokens() {
        if (!grammar_) return {};
        ScopedTimer timer(grammar_ns_);
        return grammar_->forced_tokens();
    }
    // Only the end of generation may follow (llguidance only).
    bool grammar_stopped() const { return grammar_ && grammar_->stopped(); }
    // Start computing the next grammar mask while the model decodes (llguidance only).
    void prefetch_mask() {
        if (grammar_) grammar_->prefetch_mask();
    }
    // Whether the end check lets generation end here (true without one).
    bool end_allowed_now();
    void set_end_check(EndCheck check) { end_check_ = std::move(check); }
    // Called on the logits (in place) before every choice.
    void set_logits_hook(LogitsHook hook) { logits_hook_ = std::move(hook); }
    bool has_logits_hook() const { return (bool)logits_hook_; }
    // Number of steps where the first choice was rejected by the grammar.
    int64_t grammar_resamples() const { return resamples_; }
    // Nanoseconds spent in the grammar engine (checks, masks, forced tokens, accepting tokens).
    int64_t grammar_ns() const { return grammar_ns_; }

  private:
    void fill_candidates(const float *logits);
    llama_token resample(const float *logits, llama_token first_choice, bool first_allowed);
    bool is_refused(llama_token token) const;
    bool greedy_choice(const float *logits, const uint32_t *mask, bool end_ok, llama_token &id);
    bool choose_masked(const float *logits, llama_token &id);
    bool end_allows(llama_token token);

    const Model &model_;
    llama_sampler *chain_ = nullptr;
    std::unique_ptr<GrammarEngine> grammar_;
    std::unique_ptr<ReasoningBudget> budget_;  // null: no cap on thinking  // GBNF or llguidance (grammar_engine.h); null: unconstrained
    const std::vector<llama_token> &eog_;  // the model's, ascending
    EndCheck end_check_;
    LogitsHook logits_hook_;
    std::vector<llama_token> refused_;
    // Greedy without penalties: our own arg-max over logit + bias (no sampler
    // chain, no candidate array); the chain serves every other case.
    bool greedy_ = false;
    std::vector<llama_logit_bias> bias_;  // summed per token, ascending ids
    std::vector<llama_token> plain_specials_, masked_specials_;  // see greedy_choice
    std::vector<llama_token> specials_;                            // scratch: the above plus refused tokens
    int n_vocab_;
    std::vector<llama_token_data> candidates_;
    int64_t resamples_ = 0;
    int64_t grammar_ns_ = 0;
};

}  // namespace llama_native
