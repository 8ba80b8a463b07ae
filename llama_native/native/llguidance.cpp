// Run-time binding of llguidance's C API (see llguidance.h).
#include "llguidance.h"

#include <dlfcn.h>

#include <stdexcept>

namespace llama_native {
namespace {

// The C API's init structs, laid out as llguidance.h declares them.  The
// constraint init is filled by llguidance itself (llg_constraint_init_set_defaults);
// the padding leaves room for fields a newer library may append.
struct ParserLimits {
    size_t max_items_in_row;
    uint64_t initial_lexer_fuel;
    uint64_t step_lexer_fuel;
    size_t step_max_items;
    size_t max_lexer_states;
    size_t max_grammar_size;
    bool precompute_large_lexemes;
    bool verbose_errors;
};
struct ConstraintInit {
    const LlgTokenizer *tokenizer;
    uint32_t log_buffer_level;
    uint32_t log_stderr_level;
    bool ff_tokens_ok;
    bool backtrack_ok;
    ParserLimits limits;
    char reserved[256];
};
using TokenizeFn = size_t (*)(const void *user_data, const uint8_t *bytes, size_t bytes_len, uint32_t *out,
                              size_t out_len);
struct TokenizerInit {
    uint32_t vocab_size;
    uint32_t tok_eos;
    const uint32_t *token_lens;
    const uint8_t *token_bytes;
    const char *tokenizer_json;
    bool tokenize_assumes_string;
    TokenizeFn tokenize_fn;
    bool use_approximate_greedy_tokenize_fn;
    const void *tokenize_user_data;
    const char *const *slices;
};

struct Api {
    void (*constraint_init_set_defaults)(ConstraintInit *, const LlgTokenizer *);
    LlgTokenizer *(*new_tokenizer)(const TokenizerInit *, char *, size_t);
    void (*free_tokenizer)(LlgTokenizer *);
    LlgMatcher *(*new_matcher)(const ConstraintInit *, const char *, const char *);
    void (*free_matcher)(LlgMatcher *);
    const char *(*matcher_get_error)(LlgMatcher *);
    int32_t (*matcher_compute_mask_into)(LlgMatcher *, uint32_t *, size_t);
    size_t (*matcher_get_mask_byte_size)(const LlgMatcher *);
    int32_t (*matcher_consume_token)(LlgMatcher *, uint32_t);
    int32_t (*matcher_rollback)(LlgMatcher *, size_t);
    bool (*matcher_is_accepting)(LlgMatcher *);
    bool (*matcher_is_stopped)(const LlgMatcher *);
    bool (*matcher_is_error)(const LlgMatcher *);
    int32_t (*matcher_validate_tokens)(LlgMatcher *, const uint32_t *, size_t);
    int32_t (*matcher_compute_ff_tokens)(LlgMatcher *, uint32_t *, size_t);
    LlgMatcher *(*clone_matcher)(const LlgMatcher *);
};

std::mutex g_load_mutex;
Api g_api{};
bool g_loaded = false;

template <typename F>
void bind(void *lib, const char *name, F &fn) {
    void *sym = dlsym(lib, name);
    if (!sym) throw std::runtime_error(std::string("the llguidance library lacks ") + name);
    fn = reinterpret_cast<F>(sym);
}

const Api &api() {
    if (!g_loaded) throw std::runtime_error("llguidance is not loaded");
    return g_api;
}

size_t tokenize_with_vocab(const void *user_data, const uint8_t *bytes, size_t len, uint32_t *out, size_t out_len) {
    const auto *vocab = static_cast<const llama_vocab *>(user_data);
    const int32_t n = llama_tokenize(vocab, reinterpret_cast<const char *>(bytes), (int32_t)len,
                                     reinterpret_cast<llama_token *>(out), (int32_t)out_len, false, true);
    return (size_t)(n < 0 ? -n : n);
}

// True when tokenizing text and joining the pieces gives the text back:
// not so for SentencePiece vocabularies that prefix a space, which would
// make llguidance's forced tokens start with a space the grammar never forced.
bool tokenize_round_trips(const llama_vocab *vocab) {
    for (const std::string probe : {"{", "{\"name\": \"x\"}", "a b"}) {
        std::vector<llama_token> tokens(probe.size() + 8);
        const int32_t n = llama_tokenize(vocab, probe.data(), (int32_t)probe.size(), tokens.data(),
                                         (int32_t)tokens.size(), false, true);
        if (n < 0) return false;
        std::string joined;
        char buf[256];
        for (int32_t i = 0; i < n; ++i) {
            const int32_t len = llama_token_to_piece(vocab, tokens[i], buf, sizeof(buf), 0, false);
            if (len > 0) joined.append(buf, len);
        }
        if (joined != probe) return false;
    }
    return true;
}

}  // namespace

void llg_load(const std::string &path) {
    std::lock_guard<std::mutex> lock(g_load_mutex);
    if (g_loaded) return;
    void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) throw std::runtime_error(std::string("cannot load llguidance: ") + dlerror());
    Api a{};
    bind(lib, "llg_constraint_init_set_defaults", a.constraint_init_set_defaults);
    bind(lib, "llg_new_tokenizer", a.new_tokenizer);
    bind(lib, "llg_free_tokenizer", a.free_tokenizer);
    bind(lib, "llg_new_matcher", a.new_matcher);
    bind(lib, "llg_free_matcher", a.free_matcher);
    bind(lib, "llg_matcher_get_error", a.matcher_get_error);
    bind(lib, "llg_matcher_compute_mask_into", a.matcher_compute_mask_into);
    bind(lib, "llg_matcher_get_mask_byte_size", a.matcher_get_mask_byte_size);
    bind(lib, "llg_matcher_consume_token", a.matcher_consume_token);
    bind(lib, "llg_matcher_rollback", a.matcher_rollback);
    bind(lib, "llg_matcher_is_accepting", a.matcher_is_accepting);
    bind(lib, "llg_matcher_is_stopped", a.matcher_is_stopped);
    bind(lib, "llg_matcher_is_error", a.matcher_is_error);
    bind(lib, "llg_matcher_validate_tokens", a.matcher_validate_tokens);
    bind(lib, "llg_matcher_compute_ff_tokens", a.matcher_compute_ff_tokens);
    bind(lib, "llg_clone_matcher", a.clone_matcher);
    g_api = a;
    g_loaded = true;  // the library stays loaded for the life of the process
}

bool llg_available() {
    std::lock_guard<std::mutex> lock(g_load_mutex);
    return g_loaded;
}

LlgVocab::LlgVocab(const llama_vocab *vocab, std::vector<llama_token> eog) {
    const Api &a = api();
    const int32_t n_vocab = llama_vocab_n_tokens(vocab);
    // Token bytes as llama.cpp's own llguidance sampler lays them out: the
    // plain piece, or 0xFF + the text of a special token.
    std::vector<uint32_t> lens(n_vocab);
    std::vector<uint8_t> bytes;
    bytes.reserve((size_t)n_vocab * 8);
    char buf[1024];
    for (llama_token t = 0; t < n_vocab; ++t) {
        int32_t n = llama_token_to_piece(vocab, t, buf, sizeof(buf), 0, false);
        if (n < 0) n = 0;
        if (n == 0) {
            int32_t s = llama_token_to_piece(vocab, t, buf + 1, sizeof(buf) - 1, 0, true);
            if (s > 0) {
                buf[0] = '\xff';
                n = s + 1;
            }
        }
        lens[t] = (uint32_t)n;
        bytes.insert(bytes.end(), buf, buf + n);
    }
    llama_token eos = llama_vocab_eot(vocab);
    if (eos == LLAMA_TOKEN_NULL) eos = llama_vocab_eos(vocab);
    if (eos == LLAMA_TOKEN_NULL && !eog.empty()) eos = eog.front();
    if (eos == LLAMA_TOKEN_NULL) throw std::runtime_error("llguidance needs an end-of-generation token");
    TokenizerInit init{};
    init.vocab_size = (uint32_t)n_vocab;
    init.tok_eos = (uint32_t)eos;
    init.token_lens = lens.data();
    init.token_bytes = bytes.data();
    if (tokenize_round_trips(vocab)) {
        init.tokenize_assumes_string = true;
        init.tokenize_fn = &tokenize_with_vocab;
        init.tokenize_user_data = vocab;
    } else {
        init.use_approximate_greedy_tokenize_fn = true;  // llguidance tokenizes with its own token trie
    }
    char error[1024] = {0};
    tok_ = a.new_tokenizer(&init, error, sizeof(error));
    if (!tok_) throw std::runtime_error(std::string("llguidance rejected the vocabulary: ") + error);
}

LlgVocab::~LlgVocab() {
    for (auto &[key, matcher] : compiled_) g_api.free_matcher(matcher);
    if (tok_ && g_loaded) g_api.free_tokenizer(tok_);
}

LlgMatcher *LlgVocab::new_matcher(const std::string &kind, const std::string &data) const {
    const Api &a = api();
    const std::string key = kind + "\n" + data;
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto found = compiled_.find(key);
    if (found != compiled_.end()) return a.clone_matcher(found->second);
    ConstraintInit init{};
    a.constraint_init_set_defaults(&init, tok_);
    init.log_stderr_level = 0;  // errors come back through llg_matcher_get_error
    LlgMatcher *m = a.new_matcher(&init, kind.c_str(), data.c_str());
    if (const char *err = a.matcher_get_error(m)) {
        std::string message = err;
        a.free_matcher(m);
        throw std::invalid_argument("llguidance rejected the " + kind + " grammar: " + message);
    }
    if (compiled_.size() >= 32) {  // a small working set of recent grammars
        for (auto &[k, matcher] : compiled_) a.free_matcher(matcher);
        compiled_.clear();
    }
    compiled_.emplace(key, a.clone_matcher(m));
    return m;
}

LlgConstraint::LlgConstraint(const LlgVocab &vocab, const std::string &kind, const std::string &data) {
    m_ = vocab.new_matcher(kind, data);
    mask_.assign(api().matcher_get_mask_byte_size(m_) / 4, 0);
}

LlgConstraint::~LlgConstraint() {
    if (worker_.joinable()) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            quit_ = true;
        }
        cv_.notify_all();
        worker_.join();
    }
    if (m_) g_api.free_matcher(m_);
}

void LlgConstraint::worker_loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        cv_.wait(lock, [this] { return job_ || quit_; });
        if (quit_) return;
        job_ = false;
        lock.unlock();
        std::exception_ptr error;
        bool ok = false;
        try {
            ok = g_api.matcher_compute_mask_into(m_, mask_.data(), mask_.size() * 4) == 0;
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        if (!ok && !error) {
            const char *err = g_api.matcher_get_error(m_);
            error = std::make_exception_ptr(std::runtime_error(std::string("llguidance mask computation failed: ") +
                                                               (err ? err : "unknown error")));
        }
        job_error_ = error;
        mask_valid_ = ok;
        busy_ = false;
        cv_.notify_all();
    }
}

void LlgConstraint::prefetch_mask() {
    if (!worker_.joinable()) worker_ = std::thread([this] { worker_loop(); });
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (busy_ || mask_valid_) return;
        busy_ = true;
        job_ = true;
    }
    cv_.notify_all();
}

void LlgConstraint::settle() const {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return !busy_; });
    if (job_error_) {
        std::exception_ptr error = job_error_;
        job_error_ = nullptr;
        std::rethrow_exception(error);
    }
}

void LlgConstraint::fail(const char *what) const {
    const char *err = g_api.matcher_get_error(m_);
    throw std::runtime_error(std::string("llguidance ") + what + " failed: " + (err ? err : "unknown error"));
}

const std::vector<uint32_t> &LlgConstraint::mask() {
    settle();
    if (!mask_valid_) {
        if (g_api.matcher_compute_mask_into(m_, mask_.data(), mask_.size() * 4) != 0) fail("mask computation");
        mask_valid_ = true;
    }
    return mask_;
}

bool LlgConstraint::allows(llama_token token) const {
    settle();
    const uint32_t t = (uint32_t)token;
    return g_api.matcher_validate_tokens(m_, &t, 1) == 1;
}

void LlgConstraint::consume(llama_token token) {
    settle();
    mask_valid_ = false;
    if (g_api.matcher_consume_token(m_, (uint32_t)token) != 0) fail("token consumption");
}

void LlgConstraint::rollback(size_t n_tokens) {
    settle();
    mask_valid_ = false;
    if (g_api.matcher_rollback(m_, n_tokens) != 0) fail("rollback");
}

bool LlgConstraint::stopped() const {
    settle();
    if (g_api.matcher_is_error(m_)) fail("matching");  // an error state also reads as "stopped"
    return g_api.matcher_is_stopped(m_);
}

bool LlgConstraint::accepting() const {
    settle();
    return g_api.matcher_is_accepting(m_);
}

std::vector<llama_token> LlgConstraint::forced_tokens() {
    settle();
    uint32_t buf[256];
    const int32_t n = g_api.matcher_compute_ff_tokens(m_, buf, 256);
    if (n < 0) fail("forced-token computation");
    return std::vector<llama_token>(buf, buf + n);
}

}  // namespace llama_native
