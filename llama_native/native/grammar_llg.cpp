// llguidance behind GrammarEngine (grammar_engine.h), over LlgConstraint
// (llguidance.h): token masks as bitmasks, forced tokens for jump-forward,
// and rollback to try a token for the end check.
#include "grammar_engine.h"

#include "llguidance.h"
#include "sampling.h"

#include <algorithm>
#include <cmath>

namespace llama_native {
namespace {

class LlgEngine final : public GrammarEngine {
  public:
    LlgEngine(const Model &model, const SamplingParams &p)
        : model_(model), constraint_(model.llg_vocab(), p.llg_kind, p.llg_data) {}

    const char *name() const override { return "llguidance"; }

    // llguidance knows one end token; every end-of-generation token stands for it.
    bool allows(llama_token token) override {
        return model_.is_eog(token) ? constraint_.accepting() : constraint_.allows(token);
    }

    // The end tokens are looked up in the model's sorted list, not asked of the
    // vocabulary per token (a set lookup for each of 128k tokens costs more than the mask).
    void apply(llama_token_data_array &candidates) override {
        const uint32_t *mask = constraint_.mask().data();
        const bool end_ok = constraint_.accepting();
        const std::vector<llama_token> &eog = model_.eog_tokens();
        auto bit = [mask](llama_token t) { return ((mask[(size_t)t >> 5] >> (t & 31)) & 1u) != 0; };
        const size_t n = candidates.size;
        const bool by_id = n == (size_t)model_.n_vocab() && n > 0 && candidates.data[0].id == 0 &&
                           candidates.data[n - 1].id == (llama_token)(n - 1);
        if (by_id) {  // the whole vocabulary in id order (what the sampler passes)
            kept_.clear();
            for (llama_token t : eog) kept_.push_back(candidates.data[t].logit);
            for (size_t i = 0; i < n; ++i)
                if (!bit((llama_token)i)) candidates.data[i].logit = -INFINITY;
            for (size_t k = 0; k < eog.size(); ++k) candidates.data[eog[k]].logit = end_ok ? kept_[k] : -INFINITY;
            return;
        }
        for (size_t i = 0; i < n; ++i) {
            const llama_token t = candidates.data[i].id;
            const bool ok = std::binary_search(eog.begin(), eog.end(), t) ? end_ok : bit(t);
            if (!ok) candidates.data[i].logit = -INFINITY;
        }
    }

    const uint32_t *bitmask(bool &end_allowed) override {
        end_allowed = constraint_.accepting();
        return constraint_.mask().data();
    }

    void accept(llama_token token) override {
        if (!model_.is_eog(token)) constraint_.consume(token);
    }

    bool completes_value(llama_token token) override {
        constraint_.consume(token);
        const bool complete = constraint_.stopped();
        constraint_.rollback(1);
        return complete;
    }

    std::vector<llama_token> forced_tokens() override {
        std::vector<llama_token> forced = constraint_.forced_tokens();
        for (size_t i = 0; i < forced.size(); ++i) {
            if (model_.is_eog(forced[i])) {
                forced.resize(i);
                break;
            }
        }
        return forced;
    }

    bool forces_tokens() const override { return true; }
    bool stopped() const override { return constraint_.stopped(); }
    void prefetch_mask() override { constraint_.prefetch_mask(); }

  private:
    const Model &model_;
    LlgConstraint constraint_;
    std::vector<float> kept_;  // scratch for apply(): the end tokens' logits
};

}  // namespace

std::unique_ptr<GrammarEngine> make_llg_engine(const Model &model, const SamplingParams &params) {
    return std::make_unique<LlgEngine>(model, params);
}

}  // namespace llama_native
