// The token loop: holds the context's lease, evaluates the prompt, then
// samples one token per `next()` call with the GIL released.  Emits only
// complete UTF-8 and never any part of a stop string.
#pragma once

#include "context.h"
#include "sampling.h"
#include "scheduler.h"

#include <nanobind/nanobind.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llama_native {

struct GenerationParams {
    int max_tokens = -1;  // < 0: until the context is full
    std::vector<std::string> stop;
    // Prompt-lookup speculative decoding (0: off): draft up to draft_num_pred
    // tokens that followed an earlier occurrence of the last n-gram
    // (n <= draft_ngram_max) and verify them in one batch.
    int draft_ngram_max = 0;
    int draft_num_pred = 0;
    // Under llguidance, tokens the grammar forces are appended without
    // sampling; jump_forward decodes them together in one batch (otherwise
    // one decode call each, as token-by-token decoding does).
    bool jump_forward = true;
};

struct Chunk {
    std::string text;                 // complete UTF-8, may be empty
    std::vector<llama_token> tokens;  // tokens sampled in this step
    std::string finish_reason;        // "" while running; "stop", "length" or "cancelled"
};

// Decodes token bytes exactly as llama.cpp's grammar engine does (decode_utf8
// in llama-grammar.cpp): a sequence's length comes from its lead byte, bytes
// inside one token are taken as continuation bytes unchecked, and a sequence
// continued in a later token must continue with 10xxxxxx bytes.  The text is
// the canonical UTF-8 of those code points, so what Python gets is what the
// grammar accepted.  Invalid bytes become U+FFFD.
struct Utf8Decoder {
    uint32_t value = 0;  // a character split across tokens
    int remain = 0;
    void feed(const std::string &piece, std::string &out);
    void flush(std::string &out);  // a character left unfinished becomes U+FFFD
};

class Generator {
    friend class Scheduler;

  public:
    // On a single-sequence context: takes the context's lease (waiting for
    // it) and decodes the prompt.  On a parallel context: hands the request
    // to the context's scheduler (see scheduler.h), which decodes it
    // together with the other active requests.
    Generator(Context &ctx, std::vector<llama_token> prompt, const SamplingParams &sampling,
              const GenerationParams &params);
    ~Generator();
    Generator(const Generator &) = delete;
    Generator &operator=(const Generator &) = delete;

    // One step; std::nullopt once finished.  Thread-safe against cancel().
    // On a parallel context a step may hold several tokens (what the
    // scheduler produced since the last call), and `whole` waits for the
    // request to finish and returns all of it at once: a caller that does
    // not stream is then woken once, not at every step of the batch.
    std::optional<Chunk> next(bool whole = false);
    // Ask the loop to stop (from any thread); the next step finishes with "cancelled".
    void cancel();
    // Finish now and release the context.
    void close();
    // `check(text) -> bool` vets the whole completion text whenever a token
    // would complete the grammar's value (or end generation); a refused token
    // is never emitted (see Sampler).  None removes the check.
    void set_end_check(nanobind::object check);

    bool finished() const { return sched_ ? consumer_finished_ : finished_; }
    const std::string &finish_reason() const { return finish_reason_; }
    size_t n_prompt_tokens() const { return n_prompt_; }
    size_t n_reused_tokens() const { return n_reused_; }
    size_t n_generated() const { return generated_.size(); }
    const std::vector<llama_token> &generated_tokens() const { return generated_; }
    const std::string &text() const { return full_text_; }  // everything decoded so far
    const char *grammar_engine() const { return sampler_->engine(); }
    int64_t grammar_resamples() const { return sampler_ ? sampler_->grammar_resamples() : 0; }
    int64_t n_decode_calls() const { return decode_calls_; }  // llama_decode calls after the prompt
    int64_t n_drafted() const { return n_drafted_; }
    int64_t n_draft_accepted() const { return n_draft_accepted_; }

  private:
    void finish(const std::string &reason, Chunk &chunk);
    bool emit(llama_token token, Chunk &chunk, size_t n_cached);
    void sample_loop(int idx0, const std::vector<llama_token> &draft, size_t n_confirmed, Chunk &chunk);
    void append_forced(Chunk &chunk, size_t n_kv);
    std::vector<llama_token> draft_after(llama_token next) const;
    void take_safe_text(Chunk &chunk, bool final_flush);
    void decode_piece(const std::string &piece);
    void release_lease();
    std::vector<llama_token> &kv_tokens();  // what this request's sequence holds
    void truncate_kv(size_t n);
    std::optional<Chunk> next_batched(bool whole);
    void withdraw();                          // leave the scheduler (parallel context)
    void fail(std::exception_ptr error);      // ends with "error"; next() rethrows it

    Context &ctx_;
    std::unique_ptr<Sampler> sampler_;
    GenerationParams params_;
    size_t n_prompt_ = 0, n_reused_ = 0;
    std::vector<llama_token> generated_;
    std::vector<llama_token> pending_decode_;  // chosen, not yet in the KV cache
    std::deque<llama_token> forced_queue_;      // forced tokens still to feed one by one
    std::string pending_text_;  // decoded, whole characters not yet emitted
    std::string full_text_;     // everything decoded so far
    Utf8Decoder utf8_;
    nanobind::object end_check_;
    bool finished_ = false;
    std::atomic<bool> has_lease_{false};
    std::atomic<bool> cancelled_{false};
    int64_t decode_calls_ = 0, n_drafted_ = 0, n_draft_accepted_ = 0;
    std::string finish_reason_;
    size_t n_ctx_limit_ = 0;  // prompt + completion of this sequence
    bool spare_core_ = false;  // a core not used by decoding (for mask prefetch)

    // --- parallel context (scheduler.h); guarded by the scheduler's mutex ---
    Scheduler *sched_ = nullptr;
    Slot *slot_ = nullptr;
    std::vector<llama_token> prompt_;
    size_t prefill_pos_ = 0;
    std::deque<Chunk> ready_;
    std::exception_ptr error_;
    std::condition_variable ready_cv_;
    bool producer_done_ = false, consumer_finished_ = false, leaving_ = false, gone_ = false;
};

}  // namespace llama_native
