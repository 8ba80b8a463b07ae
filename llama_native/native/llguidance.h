// llguidance as an optional grammar engine, loaded at run time.
//
// The llguidance wheel on the package index ships one shared library whose C
// API (`llg_*`, the one llama.cpp's own optional llguidance sampler calls) is
// exported next to its Python bindings.  We dlopen that library when Python
// tells us where it is (llama_native._llguidance) instead of linking it, so
// the package builds and runs without it (then the GBNF engine serves every
// grammar).  Only the handful of functions and the two init structs we use are
// declared here; names and layouts follow llguidance's `llguidance.h`.
#pragma once

#include <llama.h>

#include <cstddef>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace llama_native {

struct LlgTokenizer;
struct LlgMatcher;

// Load the library at `path` (idempotent); throws std::runtime_error naming
// what is missing.
void llg_load(const std::string &path);
bool llg_available();

// A tokenizer view of a llama vocabulary, built once per model (about 0.3 s
// for a 128k vocabulary) and shared by its matchers.  Compiling a grammar
// against a large vocabulary takes a while too, so the compiled matchers of
// recent grammars are kept and each new constraint starts from a clone.
class LlgVocab {
  public:
    explicit LlgVocab(const llama_vocab *vocab, std::vector<llama_token> eog);
    ~LlgVocab();
    LlgVocab(const LlgVocab &) = delete;
    LlgVocab &operator=(const LlgVocab &) = delete;
    LlgTokenizer *get() const { return tok_; }
    // A fresh matcher for the grammar (throws std::invalid_argument when refused).
    LlgMatcher *new_matcher(const std::string &kind, const std::string &data) const;

  private:
    LlgTokenizer *tok_ = nullptr;
    mutable std::mutex cache_mutex_;
    mutable std::map<std::string, LlgMatcher *> compiled_;  // kind + '\n' + grammar -> initial state
};

// One constraint's matcher: token masks, forced tokens, rollback.
//
// The mask for the next step can be computed on a helper thread while the
// model decodes (prefetch_mask); every other call waits for it first, so the
// matcher is never used from two threads at once.
class LlgConstraint {
  public:
    // kind: "json" (a JSON Schema), "lark", "regex" or "llguidance".
    // Throws std::invalid_argument with llguidance's message when the
    // grammar is rejected.
    LlgConstraint(const LlgVocab &vocab, const std::string &kind, const std::string &data);
    ~LlgConstraint();
    LlgConstraint(const LlgConstraint &) = delete;
    LlgConstraint &operator=(const LlgConstraint &) = delete;

    // Bitmask of allowed tokens (bit t of word t/32) in the current state.
    const std::vector<uint32_t> &mask();
    // Start computing the current state's mask in the background.
    void prefetch_mask();
    bool allows(llama_token token) const;  // without computing the whole mask
    void consume(llama_token token);
    void rollback(size_t n_tokens);
    bool stopped() const;    // only the end of generation may follow
    bool accepting() const;  // the value could end here
    // Tokens the grammar forces next (canonical tokenization of the forced text).
    std::vector<llama_token> forced_tokens();

  private:
    [[noreturn]] void fail(const char *what) const;
    void settle() const;  // wait for a prefetch in flight; rethrow its error
    void worker_loop();
    LlgMatcher *m_ = nullptr;
    std::vector<uint32_t> mask_;
    bool mask_valid_ = false;

    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    bool job_ = false, busy_ = false, quit_ = false;
    mutable std::exception_ptr job_error_;
    std::thread worker_;
};

}  // namespace llama_native
