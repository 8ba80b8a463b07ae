// An inference context over a model: KV cache, batched prompt decoding with
// prefix reuse, embeddings, and the lock that serializes its users.
#pragma once

#include "model.h"
#include "multimodal.h"
#include "scheduler.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace llama_native {

// Length of the longest common prefix of two token sequences.
size_t common_prefix(const std::vector<llama_token> &a, const std::vector<llama_token> &b);

// Inputs an embedding context decodes together in one batch (one sequence each).
constexpr uint32_t kEmbedSequences = 16;
// ggml's CPU flash attention takes a tiled F32 kernel for a batch of at least this many tokens
// (GGML_FA_TILE_Q) and an F16-accumulating one below it: an embedding context with flash attention
// on the CPU packs inputs shorter than this into batches that stay below it, so each input takes
// the kernel it takes alone (in llama-server too) and its vector does not depend on its batch.
constexpr size_t kFlashAttnTileQ = 64;

struct ContextParams {
    uint32_t n_ctx = 512;
    uint32_t n_batch = 512;
    uint32_t n_ubatch = 512;
    int n_threads = 4;
    int n_threads_batch = 4;
    bool embeddings = false;
    int flash_attn = -1;  // -1: llama.cpp's auto (on where the backend supports it), 0: off, 1: on
    uint32_t n_seq_max = 1;
    // llama.cpp's context parameters as they are (see llama.h; defaults: from the model)
    int rope_scaling_type = LLAMA_ROPE_SCALING_TYPE_UNSPECIFIED;
    int pooling_type = LLAMA_POOLING_TYPE_UNSPECIFIED;
    int attention_type = LLAMA_ATTENTION_TYPE_UNSPECIFIED;
    float rope_freq_base = 0.0f, rope_freq_scale = 0.0f;
    float yarn_ext_factor = -1.0f, yarn_attn_factor = -1.0f, yarn_beta_fast = -1.0f, yarn_beta_slow = -1.0f;
    uint32_t yarn_orig_ctx = 0;
    int type_k = GGML_TYPE_F16, type_v = GGML_TYPE_F16;
    bool offload_kqv = true;
    bool op_offload = true;
    bool swa_full = true;
    bool no_perf = true;  // llama.cpp's performance counters off
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
    uint32_t n_ctx_seq() const { return llama_n_ctx_seq(ctx_); }  // one sequence's share
    uint32_t n_seq_max() const { return llama_n_seq_max(ctx_); }
    // A parallel context serves concurrent requests by continuous batching.
    bool parallel() const { return !embeddings_ && n_seq_max() > 1; }
    Scheduler &scheduler();  // created on first use (parallel contexts)
    llama_batch &batch() { return batch_; }
    bool embeddings() const { return embeddings_; }

    // --- the lock: one user at a time (released by whoever holds the lease) ---
    void acquire();  // blocks with the GIL released
    bool try_acquire();
    void release();

    // --- sequence 0 state (requires the lease) ---
    // Make the KV cache hold exactly `tokens`, reusing the longest common prefix
    // with what it holds; leaves logits of the last token ready at output 0.
    // Returns the number of prompt tokens reused from the cache.  `media`:
    // the prompt's images (placeholder runs, see multimodal.h), or nullptr.
    size_t load_prompt(const std::vector<llama_token> &tokens, bool check_signals,
                       const PromptMedia *media = nullptr);
    // Decode several tokens after the cached ones in one batch, with logits
    // for tokens[first_with_logits] onwards (read them with batch index i
    // for tokens[i]); at most n_batch tokens.
    void decode_with_logits(const std::vector<llama_token> &tokens, size_t first_with_logits);
    // Forget cached tokens from position n on.
    void truncate(size_t n);
    // The same for sequence `seq`, whose tokens are `tokens`.
    void truncate_seq(llama_seq_id seq, std::vector<llama_token> &tokens, size_t n);
    // Keep the longest prefix of `tokens` (sequence `seq`) that `prompt`
    // starts with, less the prompt's last token (decoded again for its
    // logits); returns how many tokens are kept.  A prefix that would end
    // inside one of `media`'s images ends before it (an image is decoded whole).
    size_t keep_prefix(llama_seq_id seq, std::vector<llama_token> &tokens, const std::vector<llama_token> &prompt,
                       const PromptMedia *media = nullptr);
    std::vector<llama_token> &seq0_tokens() { return cached_; }
    // The KV state of sequence 0 (what `cached_tokens` holds), and its restore
    // (requires the lease; a single-sequence context).
    std::string save_state();
    void load_state(const std::string &data, const std::vector<llama_token> &tokens);
    const std::vector<llama_token> &cached_tokens() const { return cached_; }
    void clear_cache();

    // Logits of every position of `tokens` decoded from an empty sequence 0
    // (row-major, tokens.size() x n_vocab); the cache then holds `tokens`.
    std::vector<float> logits(const std::vector<llama_token> &tokens);
    // Make sequence 0 hold `tokens`, reusing the cached prefix; the logits of
    // every newly decoded position (`all_rows`) or of the last one.  `first`
    // is set to the position of the first row.
    std::vector<float> eval(const std::vector<llama_token> &tokens, bool all_rows, size_t &first,
                            const char *caller = "eval()");

    // Pooled (or last-token) embedding of each token list; inputs are packed into
    // batches of up to n_seq_max sequences (with flash attention on the CPU: inputs
    // shorter than kFlashAttnTileQ into batches below it, the longer ones together).
    // `normalize` is llama-server's embd_normalize: -1 none, 0 max-abs scaled to
    // int16, 1 taxicab, 2 euclidean, p > 2 p-norm.  Under rank pooling each result
    // is the classifier's n_cls_out scores, never normalized.  `per_token` (a
    // context without pooling only): one vector per token of every input, all
    // inputs' rows one after another (llama-cpp-python's embeddings of a model
    // without pooling).
    std::vector<std::vector<float>> embed(const std::vector<std::vector<llama_token>> &inputs, int normalize,
                                          bool per_token = false);

    // LoRA adapters with their scales (empty: none); the KV cache is cleared
    // when they change, since what it holds was computed with other weights.
    void set_loras(const std::vector<std::pair<LoraAdapter *, float>> &loras);

    // Cancellation of the decode in flight (checked by llama.cpp between graph nodes).
    void request_abort() { abort_.store(true); }
    void reset_abort() { abort_.store(false); }
    bool abort_requested() const { return abort_.load(); }

  private:
    static bool abort_callback(void *data);
    // Decode tokens[from..] of a prompt with images into sequence 0 (which
    // holds tokens[..from]); logits for the last token.
    void decode_with_media(const std::vector<llama_token> &tokens, size_t from, const PromptMedia &media,
                           bool check_signals);
    // Logits for the last token, or (logits_from < n) for tokens[logits_from] onwards.
    void decode_tokens(const llama_token *tokens, size_t n, llama_pos pos0, bool logits_last, bool check_signals,
                       size_t logits_from = SIZE_MAX);

    Model &model_;
    llama_context *ctx_ = nullptr;
    // ggml's CPU thread pools for this context (generation, prompt batches), kept for its life:
    // the build has no OpenMP, whose thread teams slow every decode twofold once two threads of a
    // process have decoded (libgomp then throttles its spinning; see CMakeLists.txt)
    ggml_threadpool *threadpool_ = nullptr;
    ggml_threadpool *threadpool_batch_ = nullptr;
    llama_batch batch_{};
    bool embeddings_ = false;
    bool small_fa_batches_ = false;  // pack short embedding inputs below kFlashAttnTileQ tokens
    std::vector<llama_token> cached_;
    std::atomic<bool> abort_{false};
    std::vector<std::pair<LoraAdapter *, float>> loras_;

    std::unique_ptr<Scheduler> scheduler_;
    std::mutex scheduler_mutex_;
    std::mutex lock_mutex_;
    std::condition_variable lock_cv_;
    bool busy_ = false;
};

}  // namespace llama_native
