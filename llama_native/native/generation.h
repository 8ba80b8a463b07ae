// The token loop: holds the context's lease, evaluates the prompt, then
// samples one token per `next()` call with the GIL released.  Emits only
// complete UTF-8 and never any part of a stop string.
#pragma once

#include "context.h"
#include "sampling.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llama_native {

struct GenerationParams {
    int max_tokens = -1;  // < 0: until the context is full
    std::vector<std::string> stop;
};

struct Chunk {
    std::string text;                 // complete UTF-8, may be empty
    std::vector<llama_token> tokens;  // tokens sampled in this step
    std::string finish_reason;        // "" while running; "stop", "length" or "cancelled"
};

class Generator {
  public:
    // Takes the context's lease (waiting for it) and decodes the prompt.
    Generator(Context &ctx, std::vector<llama_token> prompt, const SamplingParams &sampling,
              const GenerationParams &params);
    ~Generator();
    Generator(const Generator &) = delete;
    Generator &operator=(const Generator &) = delete;

    // One step; std::nullopt once finished.  Thread-safe against cancel().
    std::optional<Chunk> next();
    // Ask the loop to stop (from any thread); the next step finishes with "cancelled".
    void cancel();
    // Finish now and release the context.
    void close();

    bool finished() const { return finished_; }
    const std::string &finish_reason() const { return finish_reason_; }
    size_t n_prompt_tokens() const { return n_prompt_; }
    size_t n_reused_tokens() const { return n_reused_; }
    size_t n_generated() const { return generated_.size(); }
    const std::vector<llama_token> &generated_tokens() const { return generated_; }
    int64_t grammar_resamples() const { return sampler_ ? sampler_->grammar_resamples() : 0; }

  private:
    void finish(const std::string &reason, Chunk &chunk);
    void take_safe_text(Chunk &chunk, bool final_flush);
    void decode_piece(const std::string &piece);
    void release_lease();

    Context &ctx_;
    std::unique_ptr<Sampler> sampler_;
    GenerationParams params_;
    size_t n_prompt_ = 0, n_reused_ = 0;
    std::vector<llama_token> generated_;
    std::optional<llama_token> pending_decode_;
    std::string pending_text_;  // decoded, whole characters not yet emitted
    uint32_t utf8_value_ = 0;   // a character split across tokens
    int utf8_remain_ = 0;
    bool finished_ = false;
    std::atomic<bool> has_lease_{false};
    std::atomic<bool> cancelled_{false};
    std::string finish_reason_;
};

}  // namespace llama_native
