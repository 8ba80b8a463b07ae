// Sampler chain construction and grammar-checked sampling.
#include "sampling.h"

#include "grammar_check.h"

#include <cmath>
#include <stdexcept>

namespace llama_native {

llama_sampler *make_grammar_sampler(const Model &model, const std::string &grammar, const std::string &root) {
    validate_grammar(grammar, root);  // precise parser messages
    LogCapture capture;
    llama_sampler *smpl = nullptr;
    try {
        smpl = llama_sampler_init_grammar(model.vocab(), grammar.c_str(), root.c_str());
    } catch (const std::exception &e) {
        throw std::invalid_argument(std::string("invalid grammar: ") + e.what());
    }
    if (!smpl) {
        std::string reason = capture.text();
        if (reason.empty()) reason = "the grammar could not be parsed";
        throw std::invalid_argument("invalid grammar: " + reason);
    }
    return smpl;
}

Sampler::Sampler(const Model &model, const SamplingParams &p) : model_(model), n_vocab_(model.n_vocab()) {
    if (!p.grammar.empty()) grammar_ = make_grammar_sampler(model, p.grammar, p.grammar_root);

    llama_sampler_chain_params cp = llama_sampler_chain_default_params();
    cp.no_perf = true;
    chain_ = llama_sampler_chain_init(cp);

    if (!p.logit_bias.empty()) {
        std::vector<llama_logit_bias> bias;
        bias.reserve(p.logit_bias.size());
        for (const auto &[token, value] : p.logit_bias) {
            model.check_token(token);
            bias.push_back({token, value});
        }
        llama_sampler_chain_add(chain_, llama_sampler_init_logit_bias(n_vocab_, (int32_t)bias.size(), bias.data()));
    }
    const bool penalties = p.penalty_last_n != 0 &&
                           (p.repeat_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f);
    if (penalties) {
        llama_sampler_chain_add(chain_, llama_sampler_init_penalties(n_vocab_, p.penalty_last_n, p.repeat_penalty,
                                                                     p.frequency_penalty, p.presence_penalty));
    }
    if (p.temperature <= 0.0f) {
        llama_sampler_chain_add(chain_, llama_sampler_init_greedy());
        plain_greedy_ = p.logit_bias.empty() && !penalties;
    } else {
        if (p.top_k > 0) llama_sampler_chain_add(chain_, llama_sampler_init_top_k(p.top_k));
        if (p.typical_p < 1.0f) llama_sampler_chain_add(chain_, llama_sampler_init_typical(p.typical_p, 1));
        if (p.top_p < 1.0f) llama_sampler_chain_add(chain_, llama_sampler_init_top_p(p.top_p, 1));
        if (p.min_p > 0.0f) llama_sampler_chain_add(chain_, llama_sampler_init_min_p(p.min_p, 1));
        llama_sampler_chain_add(chain_, llama_sampler_init_temp(p.temperature));
        llama_sampler_chain_add(chain_, llama_sampler_init_dist(p.seed));
    }
    candidates_.resize(n_vocab_);
}

Sampler::~Sampler() {
    if (grammar_) llama_sampler_free(grammar_);
    if (chain_) llama_sampler_free(chain_);
}

void Sampler::fill_candidates(const float *logits) {
    for (llama_token t = 0; t < n_vocab_; ++t) candidates_[t] = {t, logits[t], 0.0f};
}

bool Sampler::grammar_allows(llama_token token) {
    llama_token_data single = {token, 1.0f, 0.0f};
    llama_token_data_array arr = {&single, 1, -1, false};
    llama_sampler_apply(grammar_, &arr);
    return arr.data[0].logit != -INFINITY;
}

static llama_token argmax(const float *logits, int n) {
    llama_token best = 0;
    float best_logit = logits[0];
    for (int t = 1; t < n; ++t) {
        if (logits[t] > best_logit) {
            best_logit = logits[t];
            best = t;
        }
    }
    return best;
}

llama_token Sampler::sample(llama_context *ctx, int idx) {
    const float *logits = llama_get_logits_ith(ctx, idx);
    if (!logits) throw std::runtime_error("no logits available for sampling");

    llama_token id;
    if (plain_greedy_) {
        id = argmax(logits, n_vocab_);
    } else {
        fill_candidates(logits);
        llama_token_data_array arr = {candidates_.data(), (size_t)n_vocab_, -1, false};
        llama_sampler_apply(chain_, &arr);
        if (arr.selected < 0) throw std::runtime_error("the sampler chain selected no token");
        id = arr.data[arr.selected].id;
    }
    if (!grammar_ || grammar_allows(id)) return id;

    // Rejected: mask the whole vocabulary with the grammar, then sample again.
    ++resamples_;
    fill_candidates(logits);
    llama_token_data_array arr = {candidates_.data(), (size_t)n_vocab_, -1, false};
    llama_sampler_apply(grammar_, &arr);
    bool any = false;
    for (size_t i = 0; i < arr.size && !any; ++i) any = arr.data[i].logit != -INFINITY;
    if (!any) throw std::runtime_error("the grammar allows no token of this vocabulary at this point");
    llama_sampler_apply(chain_, &arr);
    if (arr.selected < 0) throw std::runtime_error("the sampler chain selected no token");
    return arr.data[arr.selected].id;
}

void Sampler::accept(llama_token token) {
    if (grammar_) llama_sampler_accept(grammar_, token);
    llama_sampler_accept(chain_, token);
}

}  // namespace llama_native
