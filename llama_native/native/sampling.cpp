// Sampler chain construction and grammar-checked sampling.
#include "sampling.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace llama_native {

namespace {

// exp(x) for x <= 0 (Cephes' expf: range reduction by ln 2 and a degree-6
// polynomial, about 1 ulp), written so the compiler vectorizes the loop below:
// the normalizer of a log-softmax over a 128k vocabulary at every token costs
// several times less than with the scalar libm call.
inline float exp_nonpositive(float x) {
    x = std::max(x, -87.0f);
    const float v = x * 1.44269504088896341f + 0.5f;
    float n = (float)(int32_t)v;  // floor(v), without a libm call the loop could not vectorize
    n -= (float)(n > v);
    const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float y = p * r * r + r + 1.0f;
    const int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof(scale));
    return y * scale;
}

// Eight running partial results, so that the loops vectorize without letting
// the compiler reorder a floating-point reduction (-ffast-math); the sum is then
// also closer to an exact one than a single running float.
float sum_exp(const float *x, int n, float max) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int t = 0;
    for (; t + 8 <= n; t += 8)
        for (int j = 0; j < 8; ++j) acc[j] += exp_nonpositive(x[t + j] - max);
    float sum = 0.0f;
    for (; t < n; ++t) sum += exp_nonpositive(x[t] - max);
    for (float a : acc) sum += a;
    return sum;
}

float max_of(const float *x, int n) {
    float acc[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    int t = 0;
    for (; t + 8 <= n; t += 8)
        for (int j = 0; j < 8; ++j) acc[j] = x[t + j] > acc[j] ? x[t + j] : acc[j];
    float best = -INFINITY;
    for (; t < n; ++t) best = x[t] > best ? x[t] : best;
    for (float a : acc) best = a > best ? a : best;
    return best;
}

}  // namespace

TokenLogprob token_logprob(const float *logits, int n_vocab, llama_token token, int n_top) {
    const float max = max_of(logits, n_vocab);
    const float log_z = max + std::log(sum_exp(logits, n_vocab, max));
    TokenLogprob out;
    out.token = token;
    out.logprob = logits[token] - log_z;
    // The top tokens: a small sorted list; most logits fall below its last entry.
    const size_t k = (size_t)std::max(0, std::min(n_top, n_vocab));
    std::vector<std::pair<llama_token, float>> top;  // best first
    top.reserve(k + 1);
    for (int t = 0; k > 0 && t < n_vocab; ++t) {
        const float x = logits[t];
        if (top.size() == k && x <= top.back().second) continue;
        auto at = std::upper_bound(top.begin(), top.end(), x,
                                   [](float v, const std::pair<llama_token, float> &e) { return v > e.second; });
        top.insert(at, {t, x});
        if (top.size() > k) top.pop_back();
    }
    for (auto &[id, x] : top) out.top.emplace_back(id, x - log_z);
    return out;
}

void check_llg_kind(const std::string &kind) {
    for (const char *known : kLlgKinds)
        if (kind == known) return;
    std::string names;
    for (const char *known : kLlgKinds) names += std::string(names.empty() ? "" : ", ") + "'" + known + "'";
    throw std::invalid_argument("llg_kind must be one of " + names + ", got '" + kind + "'");
}

Sampler::Sampler(const Model &model, const SamplingParams &p)
    : model_(model), eog_(model.eog_tokens()), n_vocab_(model.n_vocab()) {
    switch (p.engine) {  // decided by the caller (request/structure.py's choose_engine)
    case GrammarEngineKind::none:
        if (!p.grammar.empty() || !p.llg_kind.empty())
            throw std::invalid_argument("a grammar is set but SamplingParams.engine is none: name its engine");
        break;
    case GrammarEngineKind::gbnf:
        if (p.grammar.empty()) throw std::invalid_argument("SamplingParams.engine gbnf needs a grammar");
        grammar_ = make_gbnf_engine(model, p);
        break;
    case GrammarEngineKind::llguidance:
        if (p.llg_kind.empty())
            throw std::invalid_argument("SamplingParams.engine llguidance needs llg_kind and llg_data");
        grammar_ = make_llg_engine(model, p);
        break;
    }
    if (p.reasoning_budget >= 0)
        budget_ = std::make_unique<ReasoningBudget>(model, p.reasoning_budget, p.reasoning_start, p.reasoning_end,
                                                    p.reasoning_opened);

    llama_sampler_chain_params cp = llama_sampler_chain_default_params();
    cp.no_perf = true;
    chain_ = llama_sampler_chain_init(cp);

    for (const auto &[token, value] : p.logit_bias) {
        model.check_token(token);
        auto at = std::lower_bound(bias_.begin(), bias_.end(), token,
                                   [](const llama_logit_bias &b, llama_token t) { return b.token < t; });
        if (at != bias_.end() && at->token == token) at->bias += value;  // repeated entries add up, as in llama.cpp
        else bias_.insert(at, {token, value});
    }
    if (!bias_.empty())
        llama_sampler_chain_add(chain_, llama_sampler_init_logit_bias(n_vocab_, (int32_t)bias_.size(), bias_.data()));
    // The tokens greedy_choice weighs one by one: biased ones, and end tokens under a mask.
    for (const auto &b : bias_) plain_specials_.push_back(b.token);
    masked_specials_ = plain_specials_;
    masked_specials_.insert(masked_specials_.end(), eog_.begin(), eog_.end());
    std::sort(masked_specials_.begin(), masked_specials_.end());
    masked_specials_.erase(std::unique(masked_specials_.begin(), masked_specials_.end()), masked_specials_.end());
    const bool penalties = p.penalty_last_n != 0 &&
                           (p.repeat_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f);
    if (penalties) {
        llama_sampler_chain_add(chain_, llama_sampler_init_penalties(n_vocab_, p.penalty_last_n, p.repeat_penalty,
                                                                     p.frequency_penalty, p.presence_penalty));
    }
    if (p.temperature <= 0.0f) {
        llama_sampler_chain_add(chain_, llama_sampler_init_greedy());
        greedy_ = !penalties;
    } else if (p.mirostat == 1 || p.mirostat == 2) {  // as llama.cpp's common sampler
        llama_sampler_chain_add(chain_, llama_sampler_init_temp(p.temperature));
        if (p.mirostat == 1)
            llama_sampler_chain_add(chain_, llama_sampler_init_mirostat(n_vocab_, p.seed, p.mirostat_tau, p.mirostat_eta, 100));
        else
            llama_sampler_chain_add(chain_, llama_sampler_init_mirostat_v2(p.seed, p.mirostat_tau, p.mirostat_eta));
    } else {  // llama.cpp's common-sampler order: top-n-sigma, top-k, typical, top-p, min-p, temperature
        if (p.top_n_sigma > 0.0f) llama_sampler_chain_add(chain_, llama_sampler_init_top_n_sigma(p.top_n_sigma));
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
    if (chain_) llama_sampler_free(chain_);
}

void Sampler::fill_candidates(const float *logits) {
    for (llama_token t = 0; t < n_vocab_; ++t) candidates_[t] = {t, logits[t], 0.0f};
}

bool Sampler::end_allows(llama_token token) {
    if (!end_check_) return true;
    if (model_.is_eog(token)) return end_check_(token, true);
    return !grammar_->completes_value(token) || end_check_(token, false);
}

namespace {

// The highest logit in [lo, hi) among the mask's set bits (every token when
// `mask` is null), improving on `best`; the strict comparison keeps the lowest
// id on ties, as llama.cpp's greedy sampler does.  -inf and NaN never win.
inline void scan_range(const float *logits, const uint32_t *mask, llama_token lo, llama_token hi, float &best,
                       llama_token &id) {
    if (!mask) {
        for (llama_token t = lo; t < hi; ++t)
            if (logits[t] > best) best = logits[t], id = t;
        return;
    }
    for (llama_token t = lo; t < hi;) {
        const llama_token base = t & ~31, end = std::min<llama_token>(base + 32, hi);
        uint32_t bits = mask[(size_t)base >> 5] & (~0u << (t - base));
        if (end - base < 32) bits &= (1u << (end - base)) - 1u;
        if (bits == ~0u) {
            for (llama_token k = base; k < end; ++k)
                if (logits[k] > best) best = logits[k], id = k;
        } else {
            for (; bits; bits &= bits - 1) {
                const llama_token k = base + (llama_token)__builtin_ctz(bits);
                if (logits[k] > best) best = logits[k], id = k;
            }
        }
        t = end;
    }
}

}  // namespace

llama_token Sampler::sample(llama_context *ctx, int idx) {
    float *logits = llama_get_logits_ith(ctx, idx);
    if (!logits) throw std::runtime_error("no logits available for sampling");
    return sample_logits(logits);
}

llama_token Sampler::sample_logits(float *logits) {
    if (logits_hook_) logits_hook_(logits, n_vocab_);

    llama_token id;
    refused_.clear();
    if (budget_ && budget_->forced_next(id) && (!grammar_ || grammar_->allows(id))) return id;
    if (greedy_) {
        if (!greedy_choice(logits, nullptr, true, id))
            throw std::runtime_error("the logit bias bans every token of the vocabulary");
    } else {
        fill_candidates(logits);
        llama_token_data_array arr = {candidates_.data(), (size_t)n_vocab_, -1, false};
        llama_sampler_apply(chain_, &arr);
        if (arr.selected < 0) throw std::runtime_error("the sampler chain selected no token");
        id = arr.data[arr.selected].id;
    }
    if (!grammar_) return id;
    ScopedTimer timer(grammar_ns_);
    const bool allowed = grammar_->allows(id);
    if (allowed && end_allows(id)) return id;
    return resample(logits, id, allowed);
}

// The first choice was rejected (by the grammar, or by the end check when
// `allowed`): mask the whole vocabulary with the grammar engine once and
// choose again, less each token the end check refuses.  llguidance's mask
// costs tens of microseconds for 128k tokens; GBNF scans the vocabulary.
llama_token Sampler::resample(const float *logits, llama_token id, bool allowed) {
    ++resamples_;
    refused_.clear();
    if (allowed) refused_.push_back(id);
    bool end_ok = false;
    const uint32_t *mask = grammar_->bitmask(end_ok);  // llguidance's; GBNF masks candidates instead
    for (;;) {
        const bool any = greedy_ && mask ? greedy_choice(logits, mask, end_ok, id) : choose_masked(logits, id);
        if (!any) {
            if (refused_.empty())
                throw std::runtime_error(
                    "no token can follow: the grammar allows none of this vocabulary here, or only ones the logit "
                    "bias bans (such as the end of generation)");
            throw NoValidContinuation(
                "the output can no longer become valid: every token the grammar allows would complete a value "
                "that fails the final check");
        }
        if (end_allows(id)) return id;
        refused_.push_back(id);
    }
}

bool Sampler::is_refused(llama_token t) const { return std::find(refused_.begin(), refused_.end(), t) != refused_.end(); }

// Greedy choice: the highest logit + bias among the allowed tokens, less
// the refused ones.  Under an llguidance bitmask the allowed tokens are its
// set bits, and the end tokens when the value may end; without one, every
// token.  A token whose value is -inf (banned by the bias) is never chosen.
// The vocabulary is scanned in order, the few special tokens (biased,
// refused, end) one by one between the plain ranges, so ties still go to the
// lowest id.
bool Sampler::greedy_choice(const float *logits, const uint32_t *mask, bool end_ok, llama_token &id) {
    const std::vector<llama_token> *specials = mask ? &masked_specials_ : &plain_specials_;
    if (!refused_.empty()) {
        specials_ = *specials;
        specials_.insert(specials_.end(), refused_.begin(), refused_.end());
        std::sort(specials_.begin(), specials_.end());
        specials_.erase(std::unique(specials_.begin(), specials_.end()), specials_.end());
        specials = &specials_;
    }

    float best = -INFINITY;
    llama_token chosen = -1, lo = 0;
    size_t next_bias = 0;
    for (llama_token s : *specials) {
        scan_range(logits, mask, lo, s, best, chosen);
        lo = s + 1;
        float value = logits[s];
        while (next_bias < bias_.size() && bias_[next_bias].token < s) ++next_bias;
        if (next_bias < bias_.size() && bias_[next_bias].token == s) value += bias_[next_bias].bias;
        bool allowed = !is_refused(s);
        if (allowed && mask)
            allowed = std::binary_search(eog_.begin(), eog_.end(), s) ? end_ok : ((mask[(size_t)s >> 5] >> (s & 31)) & 1u) != 0;
        if (allowed && value > best) best = value, chosen = s;
    }
    scan_range(logits, mask, lo, n_vocab_, best, chosen);
    if (chosen < 0) return false;
    id = chosen;
    return true;
}

// The sampler chain over the candidates the grammar engine allows (an
// llguidance bitmask, or the GBNF grammar), less the refused ones.
bool Sampler::choose_masked(const float *logits, llama_token &id) {
    fill_candidates(logits);
    llama_token_data_array arr = {candidates_.data(), (size_t)n_vocab_, -1, false};
    grammar_->apply(arr);
    for (llama_token t : refused_) candidates_[t].logit = -INFINITY;
    bool any = false;
    for (size_t i = 0; i < arr.size && !any; ++i) any = arr.data[i].logit != -INFINITY;
    if (!any) return false;
    llama_sampler_apply(chain_, &arr);
    if (arr.selected < 0) throw std::runtime_error("the sampler chain selected no token");
    // the chain's logit bias may ban every token the grammar allows (say, the end where only the end may follow)
    if (arr.data[arr.selected].logit == -INFINITY) return false;
    id = arr.data[arr.selected].id;
    return true;
}

bool Sampler::end_allowed_now() { return !end_check_ || end_check_(eog_.empty() ? 0 : eog_.front(), true); }

void Sampler::accept(llama_token token) {
    if (grammar_) {
        ScopedTimer timer(grammar_ns_);
        grammar_->accept(token);
    }
    if (budget_) budget_->accept(token);
    llama_sampler_accept(chain_, token);
}

}  // namespace llama_native
