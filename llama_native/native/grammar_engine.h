// One grammar interface for the sampler, two engines behind it.
//
// The sampler (sampling.h) asks a GrammarEngine whether a token may come
// next, masks candidates with it, records chosen tokens, and asks whether a
// token would complete the value (for the end check).  llama.cpp's GBNF
// engine (grammar_gbnf.cpp, the only code that touches llama.cpp's internal
// llama-grammar.h) and llguidance (grammar_llg.cpp over llguidance.h)
// implement it, as llama.cpp's common_sampler holds either engine behind one
// llama_sampler.
#pragma once

#include "model.h"

#include <llama.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llama_native {

struct SamplingParams;

class GrammarEngine {
  public:
    virtual ~GrammarEngine() = default;
    // "gbnf" or "llguidance" (reported as the generation's grammar_engine).
    virtual const char *name() const = 0;
    // Whether `token` may come next; for an end-of-generation token, whether
    // the output may end here.  Computes no full mask where it can avoid it.
    virtual bool allows(llama_token token) = 0;
    // Set the logit of every candidate the grammar refuses to -inf (end
    // tokens stay only where the output may end).
    virtual void apply(llama_token_data_array &candidates) = 0;
    // The allowed tokens as a bitmask (bit t of word t/32, end tokens not
    // included) when the engine computes one, else nullptr; `end_allowed` is
    // set to whether the end tokens are allowed alongside it.
    virtual const uint32_t *bitmask(bool &end_allowed) {
        end_allowed = false;
        return nullptr;
    }
    // Record a chosen token.
    virtual void accept(llama_token token) = 0;
    // True when `token` (which the grammar allows) completes the value:
    // nothing more to parse.  Leaves the state unchanged.
    virtual bool completes_value(llama_token token) = 0;
    // Tokens the grammar forces next, canonically tokenized (empty when none or unsupported).
    virtual std::vector<llama_token> forced_tokens() { return {}; }
    // Whether the engine offers forced tokens at all (jump-forward).
    virtual bool forces_tokens() const { return false; }
    // Only the end of generation may follow.
    virtual bool stopped() const { return false; }
    // Start computing the next mask in the background (where supported).
    virtual void prefetch_mask() {}
};

// llama.cpp's GBNF engine for `params.grammar` (lazy with trigger patterns
// or tokens when `params.grammar_lazy`); std::invalid_argument names a bad grammar.
std::unique_ptr<GrammarEngine> make_gbnf_engine(const Model &model, const SamplingParams &params);
// llguidance for `params.llg_kind`/`params.llg_data`; std::invalid_argument when refused.
std::unique_ptr<GrammarEngine> make_llg_engine(const Model &model, const SamplingParams &params);

}  // namespace llama_native
