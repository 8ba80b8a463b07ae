// An inference context over a model: KV cache, batched prompt decoding with
// prefix reuse, embeddings, and the lock that serializes its users.
#pragma once

#include "model.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace llama_native {

// Inputs an embedding context decodes together in one batch (one sequence each).
constexpr uint32_t kEmbedSequences = 16;

struct ContextParams {
    uint32_t n_ctx = 512;
    uint32_t n_batch = 512;
    uint32_t n_ubatch = 512;
    int n_threads = 4;
    int n_threads_batch = 4;
    bool embeddings = false;
    bool flash_attn = false;
    uint32_t n_seq_max = 1;
};

class Context {
  public:
    Context(Model &model, const ContextParams &params);
    ~Context();
    Context(const Context &) = delete;
    Context &operator=(const Context &) = delete;

    llama_context *get() const { return ctx_; }
    Model &model() const { return model_; }
    uint32_t n_ctx() const { return llama_n_ctx(ctx_); }
    uint32_t n_batch() const { return llama_n_batch(ctx_); }
    bool embeddings() const { return embeddings_; }

    // --- the lock: one user at a time (released by whoever holds the lease) ---
    void acquire();  // blocks with the GIL released
    bool try_acquire();
    void release();

    // --- sequence 0 state (requires the lease) ---
    // Make the KV cache hold exactly `tokens`, reusing the longest common prefix
    // with what it holds; leaves logits of the last token ready at output 0.
    // Returns the number of prompt tokens reused from the cache.
    size_t load_prompt(const std::vector<llama_token> &tokens, bool check_signals);
    // Decode several tokens after the cached ones in one batch, with logits
    // for every one (output i belongs to tokens[i]); at most n_batch tokens.
    void decode_all_logits(const std::vector<llama_token> &tokens);
    // Forget cached tokens from position n on.
    void truncate(size_t n);
    const std::vector<llama_token> &cached_tokens() const { return cached_; }
    void clear_cache();

    // Pooled (or last-token) embedding of each token list; inputs are packed into
    // batches of up to kEmbedSequences sequences.
    std::vector<std::vector<float>> embed(const std::vector<std::vector<llama_token>> &inputs, bool normalize);

    // Cancellation of the decode in flight (checked by llama.cpp between graph nodes).
    void request_abort() { abort_.store(true); }
    void reset_abort() { abort_.store(false); }
    bool abort_requested() const { return abort_.load(); }

  private:
    static bool abort_callback(void *data);
    void decode_tokens(const llama_token *tokens, size_t n, llama_pos pos0, bool logits_last, bool check_signals,
                       bool all_logits = false);

    Model &model_;
    llama_context *ctx_ = nullptr;
    llama_batch batch_{};
    bool embeddings_ = false;
    std::vector<llama_token> cached_;
    std::atomic<bool> abort_{false};

    std::mutex lock_mutex_;
    std::condition_variable lock_cv_;
    bool busy_ = false;
};

}  // namespace llama_native
