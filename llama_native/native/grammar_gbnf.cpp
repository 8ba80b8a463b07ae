// llama.cpp's GBNF engine behind GrammarEngine (grammar_engine.h): the only
// code, with grammar_check.cpp, that uses llama.cpp's internal grammar API
// (src/llama-grammar.h).
#include "grammar_engine.h"

#include "common.h"
#include "grammar_check.h"
#include "llama-grammar.h"
#include "sampling.h"

#include <cctype>
#include <cmath>
#include <regex>
#include <stdexcept>

namespace llama_native {
namespace {

// Feed the grammar the tokens of `text` (what the prompt already ends with),
// as common_sampler_init does with the chat layer's generation prompt: a
// leading space some tokenizers put before a first special token is skipped.
void prefill(const Model &model, llama_grammar &grammar, const std::string &text) {
    const std::vector<llama_token> tokens = model.tokenize(text, false, true);
    for (size_t i = 0; i < tokens.size(); i++) {
        const std::string piece = model.token_to_piece(tokens[i], true);
        if (i == 0 && !piece.empty() && std::isspace((unsigned char)piece[0]) && !std::isspace((unsigned char)text[0]))
            continue;
        try {
            llama_grammar_accept_impl(grammar, tokens[i]);
        } catch (const std::exception &e) {
            llama_grammar_free_impl(&grammar);
            throw std::invalid_argument("the grammar does not start with the prompt's ending '" + text + "': " + e.what());
        }
        if (grammar.stacks.empty()) {
            llama_grammar_free_impl(&grammar);
            throw std::invalid_argument("the grammar does not start with the prompt's ending '" + text + "'");
        }
    }
}

// The grammar engine of llama.cpp's grammar sampler, owned directly (its
// internal API, src/llama-grammar.h) so that a token's effect can be tried
// and undone for the end check.
llama_grammar *make_grammar(const Model &model, const SamplingParams &p) {
    validate_grammar(p.grammar, p.grammar_root);  // precise parser messages
    for (llama_token t : p.grammar_trigger_tokens) model.check_token(t);
    std::vector<const char *> patterns;
    for (const auto &pattern : p.grammar_trigger_patterns) {
        try {
            std::regex check(pattern);
        } catch (const std::regex_error &e) {
            throw std::invalid_argument("invalid grammar trigger pattern '" + pattern + "': " + e.what());
        }
        patterns.push_back(pattern.c_str());
    }
    if (p.grammar_lazy && patterns.empty() && p.grammar_trigger_tokens.empty())
        throw std::invalid_argument("a lazy grammar needs at least one trigger pattern or token");
    LogCapture capture;
    llama_grammar *g = nullptr;
    try {
        g = llama_grammar_init_impl(model.vocab(), p.grammar.c_str(), p.grammar_root.c_str(), p.grammar_lazy,
                                    patterns.data(), patterns.size(), p.grammar_trigger_tokens.data(),
                                    p.grammar_trigger_tokens.size());
    } catch (const std::exception &e) {
        throw std::invalid_argument(std::string("invalid grammar: ") + e.what());
    }
    if (!g) {
        std::string reason = capture.text();
        if (reason.empty()) reason = "the grammar could not be parsed";
        throw std::invalid_argument("invalid grammar: " + reason);
    }
    if (!p.grammar_prefill.empty() && !p.grammar_lazy) prefill(model, *g, p.grammar_prefill);
    return g;
}

class GbnfEngine final : public GrammarEngine {
  public:
    explicit GbnfEngine(llama_grammar *grammar) : grammar_(grammar) {}
    ~GbnfEngine() override { llama_grammar_free_impl(grammar_); }
    GbnfEngine(const GbnfEngine &) = delete;
    GbnfEngine &operator=(const GbnfEngine &) = delete;

    const char *name() const override { return "gbnf"; }

    bool allows(llama_token token) override {
        llama_token_data single = {token, 1.0f, 0.0f};
        llama_token_data_array arr = {&single, 1, -1, false};
        llama_grammar_apply_impl(*grammar_, &arr);
        return arr.data[0].logit != -INFINITY;
    }

    void apply(llama_token_data_array &candidates) override { llama_grammar_apply_impl(*grammar_, &candidates); }

    void accept(llama_token token) override { llama_grammar_accept_impl(*grammar_, token); }

    // Try the token on a copy of the parse state, then restore it.
    bool completes_value(llama_token token) override {
        if (grammar_->awaiting_trigger) return false;  // a lazy grammar not yet triggered completes nothing
        const llama_grammar_stacks saved = grammar_->stacks;
        const llama_partial_utf8 saved_utf8 = grammar_->partial_utf8;
        llama_grammar_accept_impl(*grammar_, token);
        bool complete = !grammar_->stacks.empty();
        for (const auto &stack : grammar_->stacks) complete = complete && stack.empty();
        grammar_->stacks = saved;
        grammar_->partial_utf8 = saved_utf8;
        return complete;
    }

  private:
    llama_grammar *grammar_;
};

}  // namespace

std::unique_ptr<GrammarEngine> make_gbnf_engine(const Model &model, const SamplingParams &params) {
    return std::make_unique<GbnfEngine>(make_grammar(model, params));
}

}  // namespace llama_native
