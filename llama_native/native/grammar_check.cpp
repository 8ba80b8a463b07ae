// See grammar_check.h.  Uses llama.cpp's internal grammar API
// (src/llama-grammar.h) with a null vocabulary, as llama.cpp's own tests do.
#include "grammar_check.h"

#include "common.h"
#include "llama-grammar.h"

#include <memory>
#include <stdexcept>

namespace llama_native {
namespace {

struct GrammarDeleter {
    void operator()(llama_grammar *g) const { llama_grammar_free_impl(g); }
};
using GrammarPtr = std::unique_ptr<llama_grammar, GrammarDeleter>;

const char *skip_space(const char *pos) {
    while (*pos == ' ' || *pos == '\t' || *pos == '#' || *pos == '\r' || *pos == '\n') {
        if (*pos == '#')
            while (*pos && *pos != '\r' && *pos != '\n') ++pos;
        else
            ++pos;
    }
    return pos;
}

// llama.cpp's parser prints its message to stderr and returns false; run the
// same rule parser here so the message can go into the exception instead.
std::string parser_message(const std::string &grammar) {
    llama_grammar_parser parser;
    try {
        const char *pos = skip_space(grammar.c_str());
        while (*pos) pos = parser.parse_rule(pos);
        for (const auto &[name, id] : parser.symbol_ids)
            if (id >= parser.rules.size() || parser.rules[id].empty())
                return "undefined rule identifier '" + name + "'";
    } catch (const std::exception &e) {
        std::string msg = e.what();
        if (msg.size() > 160) msg = msg.substr(0, 160) + "...";
        return msg;
    }
    return "";
}

GrammarPtr parse(const std::string &grammar, const std::string &root) {
    if (grammar.find_first_not_of(" \t\r\n") == std::string::npos)
        throw std::invalid_argument("invalid grammar: the grammar is empty");
    std::string message = parser_message(grammar);
    if (!message.empty()) throw std::invalid_argument("invalid grammar: " + message);
    LogCapture capture;
    llama_grammar *g = nullptr;
    try {
        g = llama_grammar_init_impl(nullptr, grammar.c_str(), root.c_str(), false, nullptr, 0, nullptr, 0);
    } catch (const std::exception &e) {
        throw std::invalid_argument(std::string("invalid grammar: ") + e.what());
    }
    if (!g) {
        std::string reason = capture.text();
        throw std::invalid_argument("invalid grammar: " + (reason.empty() ? "the grammar could not be parsed" : reason));
    }
    return GrammarPtr(g);
}

}  // namespace

void validate_grammar(const std::string &grammar, const std::string &root) { parse(grammar, root); }

bool grammar_accepts(const std::string &grammar, const std::string &root, const std::string &text) {
    GrammarPtr g = parse(grammar, root);
    try {
        llama_grammar_accept_str(*g, text);
    } catch (const std::runtime_error &) {
        return false;  // some prefix of text was rejected
    }
    if (g->partial_utf8.n_remain > 0) return false;  // ends inside a UTF-8 sequence
    for (const auto &stack : g->stacks)
        if (stack.empty()) return true;  // a complete parse
    return false;
}

}  // namespace llama_native
