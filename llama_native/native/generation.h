// The token loop: holds the context's lease, evaluates the prompt, then
// samples one token per `next()` call with the GIL released.  Emits only
// complete UTF-8 and never any part of a stop string.
#pragma once

#include "context.h"
#include "sampling.h"
#include "generation_types.h"
#include "scheduler.h"
#include "text_assembly.h"
#include "timing.h"

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
    // On a parallel context: the slot (sequence) the request must run in,
    // waiting for it to be free (llama-server's `id_slot`; taken modulo the
    // slots); < 0: the scheduler picks the free slot sharing the longest prefix.
    int id_slot = -1;
    // Hold back a possible stop string a token at a time and hand the text
    // over in one piece per token (Chunk::pieces), as llama-cpp-python's
    // streaming does; otherwise the held tail is cut at a character and the
    // text comes whole (llama-server's chunking, one chunk per step).
    bool text_per_token = false;
};

// One request's token loop (not a Python generator: Python pulls its chunks
// with next()).
class TokenLoop {
  public:
    // On a single-sequence context: takes the context's lease (waiting for
    // it) and decodes the prompt.  On a parallel context: hands the request
    // to the context's scheduler (see scheduler.h), which decodes it
    // together with the other active requests.
    // `end_check`, `logits_processor`, `stopping_criteria`: see the setters
    // (None: off); given here, they are in place before a scheduler can run
    // the request.
    // `media`: the prompt's images (their placeholder runs in `prompt`), or null.
    TokenLoop(Context &ctx, std::vector<llama_token> prompt, const SamplingParams &sampling,
              const GenerationParams &params, nanobind::object end_check = nanobind::none(),
              nanobind::object logits_processor = nanobind::none(), nanobind::object stopping_criteria = nanobind::none(),
              std::shared_ptr<PromptMedia> media = nullptr);
    ~TokenLoop();
    TokenLoop(const TokenLoop &) = delete;
    TokenLoop &operator=(const TokenLoop &) = delete;

    // One step; std::nullopt once finished.  Thread-safe against cancel().
    // On a parallel context a step may hold several tokens (what the
    // scheduler produced since the last call), and `whole` waits for the
    // request to finish and returns all of it at once: a caller that does
    // not stream is then woken once, not at every step of the batch.
    std::optional<Chunk> next(bool whole = false);
    // Ask the loop to stop (from any thread); the next step finishes as Cancelled.
    void cancel();
    // Finish now and release the context.
    void close();
    // `check(text) -> bool` vets the whole completion text whenever a token
    // would complete the grammar's value (or end generation); a refused token
    // is never emitted (see Sampler).  None removes the check.
    void set_end_check(nanobind::object check);
    // llama-cpp-python's hooks, None to remove: `processor(input_ids, scores)
    // -> scores` rewrites each position's logits (numpy int32 and float32
    // arrays; input_ids is the prompt and the tokens generated so far);
    // `criteria(input_ids, scores) -> bool` ends generation (finish "stop")
    // after the token just chosen, which input_ids then includes and which
    // the output keeps.  Without them the loop never touches Python.
    void set_logits_processor(nanobind::object processor);
    void set_stopping_criteria(nanobind::object criteria);

    bool finished() const { return sched_ ? consumer_finished_ : finished_; }
    FinishReason finish_reason() const { return finish_reason_; }
    size_t n_prompt_tokens() const { return n_prompt_; }
    // (counting an M-RoPE image's embeddings, not its placeholders, as n_prompt_tokens does)
    size_t n_reused_tokens() const { return n_reused_ + (media_ ? media_->extra_cells_before(n_reused_) : 0); }
    const PromptMedia *media() const { return media_.get(); }  // the prompt's images (null: none)
    size_t n_generated() const { return generated_.size(); }
    const std::vector<llama_token> &generated_tokens() const { return generated_; }
    llama_token eog_token() const { return eog_token_; }  // the end-of-generation token that ended it, or -1
    const std::string &text() const { return text_.full(); }  // everything decoded so far
    const char *grammar_engine() const { return sampler_->engine(); }
    int64_t grammar_resamples() const { return sampler_ ? sampler_->grammar_resamples() : 0; }
    int64_t n_decode_calls() const { return decode_calls_; }  // llama_decode calls after the prompt
    int64_t n_drafted() const { return n_drafted_; }
    int64_t n_draft_accepted() const { return n_draft_accepted_; }
    // Tokens the grammar forced (jump-forward), emitted without sampling.
    int64_t n_forced() const { return n_forced_; }
    // Wall-clock phases (timing.h); read them once the loop has finished.
    const PhaseClock &clock() const { return clock_; }
    // Time spent in the grammar engine: checks, masks, forced tokens, accepting tokens.
    double grammar_ms() const { return sampler_ ? (double)sampler_->grammar_ns() / 1e6 : 0.0; }

    // --- what the scheduler drives on a parallel context (its thread only) ---
    bool cancelled() const { return cancelled_.load(); }
    bool done() const { return finished_; }  // the loop has finished (producer side)
    std::vector<llama_token> &pending() { return pending_decode_; }  // chosen, not yet decoded
    void set_reused(size_t n) { n_reused_ = n; }
    void admitted() { clock_.start(); }  // the scheduler gave it a slot: the prompt starts
    void count_decode() { ++decode_calls_; }
    // Sample after a decode whose logits for this request are at `idx`; `n_kv`
    // tokens are now in its sequence.
    void sample_after_decode(int idx, size_t n_kv, Chunk &chunk) { sample_loop(idx, {}, n_kv, chunk); }
    void finish(FinishReason reason, Chunk &chunk);
    void fail();  // ends as FinishReason::Error (the scheduler hands the error to the consumer)

  private:
    bool emit(llama_token token, Chunk &chunk, size_t n_cached);
    void sample_loop(int idx0, const std::vector<llama_token> &draft, size_t n_confirmed, Chunk &chunk);
    void append_forced(Chunk &chunk, size_t n_kv);
    std::vector<llama_token> draft_after(llama_token next) const;
    void take_safe_text(Chunk &chunk, bool final_flush);
    void release_lease();
    std::vector<llama_token> &kv_tokens();  // what this request's sequence holds
    void truncate_kv(size_t n);
    std::optional<Chunk> next_batched(bool whole);
    void withdraw();  // leave the scheduler (parallel context)

    Context &ctx_;
    std::unique_ptr<Sampler> sampler_;
    GenerationParams params_;
    size_t n_prompt_ = 0, n_reused_ = 0;
    std::vector<llama_token> generated_;
    std::vector<llama_token> pending_decode_;  // chosen, not yet in the KV cache
    std::deque<llama_token> forced_queue_;      // forced tokens still to feed one by one
    TextAssembler text_;                        // UTF-8 assembly and stop strings
    nanobind::object end_check_;
    nanobind::object logits_processor_, stopping_criteria_;
    std::vector<llama_token> prompt_;  // kept for the Python hooks' input_ids
    std::shared_ptr<const PromptMedia> media_;  // the prompt's images (null: none)
    int n_probs_ = -1;                 // SamplingParams::n_probs
    llama_token eog_token_ = -1;
    std::vector<llama_token> input_ids() const;
    bool has_stopping_criteria_ = false;
    bool stop_requested(const float *logits);
    bool finished_ = false;
    std::atomic<bool> has_lease_{false};
    std::atomic<bool> cancelled_{false};
    int64_t decode_calls_ = 0, n_drafted_ = 0, n_draft_accepted_ = 0, n_forced_ = 0;
    PhaseClock clock_;
    FinishReason finish_reason_ = FinishReason::None;
    size_t n_ctx_limit_ = 0;  // prompt + completion of this sequence
    bool spare_core_ = false;  // a core not used by decoding (for mask prefetch)

    // --- parallel context (scheduler.h) ---
    Scheduler *sched_ = nullptr;   // set once: this loop is a request of that scheduler
    Request *request_ = nullptr;   // owned by the scheduler; null once withdrawn
    bool consumer_finished_ = false;  // the consumer's thread only
};

}  // namespace llama_native
