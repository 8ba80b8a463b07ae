// Implementation of the token loop (see generation.h).
#include "generation.h"

#include "prompt_lookup.h"

#include <chrono>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstring>
#include <stdexcept>
#include <thread>

namespace nb = nanobind;

namespace llama_native {

const char *finish_reason_name(FinishReason reason) {
    switch (reason) {
        case FinishReason::None: return "";
        case FinishReason::Stop: return "stop";
        case FinishReason::Length: return "length";
        case FinishReason::Cancelled: return "cancelled";
        case FinishReason::Error: return "error";
    }
    return "";
}

TokenLoop::TokenLoop(Context &ctx, std::vector<llama_token> prompt, const SamplingParams &sampling,
                     const GenerationParams &params, nb::object end_check, nb::object logits_processor,
                     nb::object stopping_criteria, std::shared_ptr<PromptMedia> media)
    : ctx_(ctx), params_(params), text_(params.stop, params.text_per_token), prompt_(prompt), media_(media), n_probs_(sampling.n_probs) {
    // Build the sampler first: an invalid grammar fails before we wait for the context.
    sampler_ = std::make_unique<Sampler>(ctx.model(), sampling);
    set_end_check(std::move(end_check));
    set_logits_processor(std::move(logits_processor));
    set_stopping_criteria(std::move(stopping_criteria));
    // An M-RoPE image takes more KV cells than the placeholders standing for it.
    const size_t extra_cells = media ? media->extra_cells() : 0;
    n_ctx_limit_ = ctx.n_ctx_seq() > extra_cells ? ctx.n_ctx_seq() - extra_cells : 0;
    spare_core_ = std::thread::hardware_concurrency() > (unsigned)llama_n_threads(ctx.get());
    if (prompt.size() > n_ctx_limit_)
        throw std::invalid_argument("prompt has " + std::to_string(prompt.size() + extra_cells) +
                                    " tokens but the context holds only " + std::to_string(ctx.n_ctx_seq()) +
                                    " (n_ctx); shorten the prompt or raise n_ctx");
    if (ctx.parallel()) {
        if (prompt.empty()) throw std::invalid_argument("the prompt has no tokens");
        check_prompt_tokens(ctx.model(), prompt, media.get());
        params_.draft_ngram_max = 0;  // drafts verify on a single sequence only
        n_prompt_ = prompt.size() + extra_cells;
        sched_ = &ctx.scheduler();
        request_ = sched_->submit(this, std::move(prompt), params_.id_slot);
        return;
    }
    ctx_.acquire();
    has_lease_ = true;
    clock_.start();
    try {
        ctx_.reset_abort();
        n_prompt_ = prompt.size() + extra_cells;
        nb::gil_scoped_release release;
        n_reused_ = ctx_.load_prompt(prompt, true, media.get());
        clock_.prompt_evaluated();
    } catch (...) {
        release_lease();
        throw;
    }
}

// On a parallel context only the scheduler thread calls these, while the request is active (it has a slot).
std::vector<llama_token> &TokenLoop::kv_tokens() { return request_ ? request_->slot->tokens : ctx_.seq0_tokens(); }

void TokenLoop::truncate_kv(size_t n) {
    if (request_) ctx_.truncate_seq(request_->slot->seq, request_->slot->tokens, n);
    else ctx_.truncate(n);
}

TokenLoop::~TokenLoop() {
    withdraw();
    release_lease();
}

void TokenLoop::withdraw() {
    if (!request_) return;
    without_gil([this] { sched_->withdraw(request_); });
    request_ = nullptr;  // freed by the scheduler
}

void TokenLoop::fail() {
    clock_.finish();
    finished_ = true;
    finish_reason_ = FinishReason::Error;
}

void TokenLoop::set_end_check(nb::object check) {
    end_check_ = std::move(check);
    if (!end_check_.is_valid() || end_check_.is_none()) {
        sampler_->set_end_check(nullptr);
        return;
    }
    // Called with the GIL released, from inside sample().
    sampler_->set_end_check([this](llama_token token, bool eog) {
        const std::string text = eog ? text_.full() : text_.preview(ctx_.model().token_to_piece(token, false));
        nb::gil_scoped_acquire acquire;
        return nb::cast<bool>(end_check_(nb::str(text.data(), text.size())));
    });
}

namespace {

// A fresh numpy array holding a copy of `n` values.
template <typename T>
nb::object numpy_copy(const T *data, size_t n) {
    T *copy = new T[n];
    std::memcpy(copy, data, n * sizeof(T));
    nb::capsule owner(copy, [](void *p) noexcept { delete[] static_cast<T *>(p); });
    return nb::cast(nb::ndarray<nb::numpy, T, nb::ndim<1>>(copy, {n}, owner));
}

}  // namespace

std::vector<llama_token> TokenLoop::input_ids() const {
    std::vector<llama_token> ids = prompt_;
    ids.insert(ids.end(), generated_.begin(), generated_.end());
    return ids;
}

void TokenLoop::set_logits_processor(nb::object processor) {
    logits_processor_ = std::move(processor);
    if (!logits_processor_.is_valid() || logits_processor_.is_none()) {
        sampler_->set_logits_hook(nullptr);
        return;
    }
    // Called with the GIL released, from inside sample().
    sampler_->set_logits_hook([this](float *logits, int n_vocab) {
        const std::vector<llama_token> ids = input_ids();
        nb::gil_scoped_acquire acquire;
        nb::object result = logits_processor_(numpy_copy(ids.data(), ids.size()), numpy_copy(logits, (size_t)n_vocab));
        auto scores = nb::cast<nb::ndarray<float, nb::ndim<1>, nb::c_contig, nb::device::cpu>>(
            nb::module_::import_("numpy").attr("ascontiguousarray")(result, "float32"));
        if (scores.shape(0) != (size_t)n_vocab)
            throw std::invalid_argument("logits_processor returned " + std::to_string(scores.shape(0)) +
                                        " scores; the vocabulary has " + std::to_string(n_vocab));
        std::memcpy(logits, scores.data(), (size_t)n_vocab * sizeof(float));
    });
}

void TokenLoop::set_stopping_criteria(nb::object criteria) {
    stopping_criteria_ = std::move(criteria);
    has_stopping_criteria_ = stopping_criteria_.is_valid() && !stopping_criteria_.is_none();
}

bool TokenLoop::stop_requested(const float *logits) {
    if (!has_stopping_criteria_) return false;
    const std::vector<llama_token> ids = input_ids();
    const int n_vocab = ctx_.model().n_vocab();
    nb::gil_scoped_acquire acquire;
    nb::object scores = logits ? numpy_copy(logits, (size_t)n_vocab) : nb::none();
    return nb::cast<bool>(nb::bool_(stopping_criteria_(numpy_copy(ids.data(), ids.size()), scores)));
}

void TokenLoop::release_lease() {
    if (has_lease_.exchange(false)) ctx_.release();
}

void TokenLoop::cancel() {
    cancelled_.store(true);
    if (has_lease_) ctx_.request_abort();
}

void TokenLoop::close() {
    if (sched_) {
        withdraw();
        clock_.finish();  // the scheduler has dropped it: no other thread touches it now
        if (!finished_) finish_reason_ = FinishReason::Cancelled;
        consumer_finished_ = true;
        return;
    }
    if (!finished_) {
        clock_.finish();
        finished_ = true;
        finish_reason_ = FinishReason::Cancelled;
    }
    release_lease();
}

void TokenLoop::finish(FinishReason reason, Chunk &chunk) {
    clock_.finish();
    finished_ = true;
    finish_reason_ = reason;
    chunk.finish_reason = reason;
    release_lease();
}

void TokenLoop::take_safe_text(Chunk &chunk, bool final_flush) {
    text_.take(chunk.text, chunk.pieces, final_flush);
}

// Handle one sampled token: returns true when it ends generation.
// `n_cached`: tokens in the KV cache before this one (confirmed ones only).
bool TokenLoop::emit(llama_token token, Chunk &chunk, size_t n_cached) {
    const Model &model = ctx_.model();
    clock_.token();
    if (model.is_eog(token)) {  // ends generation; not part of the completion
        eog_token_ = token;
        take_safe_text(chunk, true);
        finish(FinishReason::Stop, chunk);
        return true;
    }
    chunk.tokens.push_back(token);
    sampler_->accept(token);
    generated_.push_back(token);
    // A stop string ends generation; it and anything after it are never emitted.
    if (text_.feed(model.token_to_piece(token, false))) {
        take_safe_text(chunk, true);
        finish(FinishReason::Stop, chunk);
        return true;
    }
    const bool out_of_tokens = params_.max_tokens >= 0 && (int)generated_.size() >= params_.max_tokens;
    // prompt + completion <= n_ctx (the token just sampled is not decoded yet)
    const bool context_full = n_cached + 1 >= n_ctx_limit_;
    if (out_of_tokens || context_full) {
        take_safe_text(chunk, true);
        finish(FinishReason::Length, chunk);
        return true;
    }
    return false;
}

// Prompt lookup (prompt_lookup.h) over the cached tokens and `next`, as many
// tokens as the batch, the context and max_tokens leave room for.
std::vector<llama_token> TokenLoop::draft_after(llama_token next) const {
    const auto &cached = ctx_.cached_tokens();  // drafting runs on single-sequence contexts only
    const size_t n_hist = cached.size() + 1;
    size_t room = std::min<size_t>((size_t)params_.draft_num_pred, ctx_.n_batch() - 1);
    room = std::min(room, ctx_.n_ctx() > n_hist + 1 ? (size_t)ctx_.n_ctx() - n_hist - 1 : (size_t)0);
    if (params_.max_tokens >= 0) {
        const size_t left = (size_t)params_.max_tokens - generated_.size();
        room = std::min(room, left > 1 ? left - 1 : (size_t)0);
    }
    return prompt_lookup_draft(cached, next, (size_t)params_.draft_ngram_max, room);
}

// Tokens the grammar forces after the last chosen token (llguidance only).
// With jump_forward they join the pending batch now; otherwise they are fed
// one per step.  Once only the end may follow, jump_forward ends right away
// instead of decoding once more to sample the end token.
void TokenLoop::append_forced(Chunk &chunk, size_t n_kv) {
    if (!sampler_->forces_tokens()) return;
    if (!params_.jump_forward) {
        if (forced_queue_.empty()) {
            for (llama_token t : sampler_->forced_tokens()) forced_queue_.push_back(t);
        }
        return;
    }
    for (;;) {
        std::vector<llama_token> forced = sampler_->forced_tokens();
        const size_t room = ctx_.n_batch() > pending_decode_.size() ? ctx_.n_batch() - pending_decode_.size() : 0;
        if (forced.size() > room) forced.resize(room);
        if (forced.empty()) break;
        for (llama_token t : forced) {
            ++n_forced_;
            if (emit(t, chunk, n_kv + pending_decode_.size())) return;
            pending_decode_.push_back(t);
        }
    }
    if (sampler_->grammar_stopped()) {
        if (!sampler_->end_allowed_now())
            throw NoValidContinuation(
                "the output can no longer become valid: the value the grammar forces fails the final check");
        take_safe_text(chunk, true);
        finish(FinishReason::Stop, chunk);
    }
}

// Sample from the logits of batch output idx0 (+ i for drafted positions;
// -1: the last output), emitting tokens until one differs from the draft.
void TokenLoop::sample_loop(int idx0, const std::vector<llama_token> &draft, size_t n_confirmed, Chunk &chunk) {
    clock_.prompt_evaluated();  // a parallel request's first sampling follows its prompt's last batch
    for (size_t i = 0;; ++i) {
        if (cancelled_.load()) {
            truncate_kv(n_confirmed + i);
            finish(FinishReason::Cancelled, chunk);
            return;
        }
        llama_token token;
        const int idx = idx0 < 0 ? -1 : idx0 + (int)i;
        if (!forced_queue_.empty()) {
            token = forced_queue_.front();
            forced_queue_.pop_front();
            ++n_forced_;
        } else {
            token = sampler_->sample(ctx_.get(), idx);
        }
        const float *logits = (n_probs_ >= 0 || has_stopping_criteria_) ? llama_get_logits_ith(ctx_.get(), idx)
                                                                                 : nullptr;
        if (n_probs_ >= 0 && logits && !ctx_.model().is_eog(token))
            chunk.logprobs.push_back(token_logprob(logits, ctx_.model().n_vocab(), token, n_probs_));
        const bool matches = i < draft.size() && token == draft[i];
        if (emit(token, chunk, n_confirmed + i)) {
            truncate_kv(n_confirmed + i + (matches ? 1 : 0));
            return;
        }
        if (stop_requested(logits)) {
            truncate_kv(n_confirmed + i + (matches ? 1 : 0));
            take_safe_text(chunk, true);
            finish(FinishReason::Stop, chunk);
            return;
        }
        if (matches) {
            ++n_draft_accepted_;
            continue;
        }
        truncate_kv(n_confirmed + i);  // drop the drafted tokens that were not confirmed
        pending_decode_.assign(1, token);
        append_forced(chunk, n_confirmed + i);
        if (!finished_) {
            take_safe_text(chunk, false);
            // With a core to spare, the next mask is computed while the model
            // decodes; on a machine whose cores all decode it only competes.
            if (forced_queue_.empty() && spare_core_) sampler_->prefetch_mask();
        }
        return;
    }
}

// Parallel context: wait for the scheduler's chunks for this request (all
// of them with `whole`) and hand over everything ready as one chunk.  The
// wait wakes up now and then to let Python handle signals (Ctrl-C).
std::optional<Chunk> TokenLoop::next_batched(bool whole) {
    Request &r = *request_;
    nb::gil_scoped_release release;
    std::unique_lock<std::mutex> lock(sched_->mutex());
    auto done = [&r, whole] {
        if (r.phase == Phase::Done) return true;
        if (r.ready.empty()) return false;
        return !whole || r.ready.back().finish_reason != FinishReason::None;
    };
    while (!r.ready_cv.wait_for(lock, std::chrono::milliseconds(100), done)) {
        lock.unlock();
        {
            nb::gil_scoped_acquire acquire;
            if (PyErr_CheckSignals() != 0) throw nb::python_error();
        }
        lock.lock();
    }
    if (r.ready.empty()) {
        consumer_finished_ = true;
        if (r.error) std::rethrow_exception(r.error);
        return std::nullopt;
    }
    Chunk chunk = std::move(r.ready.front());
    r.ready.pop_front();
    for (; !r.ready.empty() && chunk.finish_reason == FinishReason::None; r.ready.pop_front()) {
        Chunk &more = r.ready.front();
        chunk.text += more.text;
        chunk.pieces.insert(chunk.pieces.end(), more.pieces.begin(), more.pieces.end());
        chunk.tokens.insert(chunk.tokens.end(), more.tokens.begin(), more.tokens.end());
        chunk.logprobs.insert(chunk.logprobs.end(), more.logprobs.begin(), more.logprobs.end());
        chunk.finish_reason = more.finish_reason;
    }
    if (chunk.finish_reason != FinishReason::None) consumer_finished_ = true;
    return chunk;
}

std::optional<Chunk> TokenLoop::next(bool whole) {
    if (sched_) {
        if (consumer_finished_ || !request_) return std::nullopt;
        return next_batched(whole);
    }
    if (finished_) return std::nullopt;
    Chunk chunk;
    nb::gil_scoped_release release;
    try {
        if (cancelled_.load()) {
            finish(FinishReason::Cancelled, chunk);
            return chunk;
        }
        // The first step samples from the prompt's logits.  Later steps decode
        // the pending tokens (the last choice and any forced ones), with a
        // prompt-lookup draft when one is on, in one batch and sample at each
        // drafted position: while the sample equals the drafted token it is
        // confirmed and the next position is sampled; the sample that differs
        // (or follows the whole draft) is the next token, exactly as
        // token-by-token decoding gives.
        size_t n_confirmed = kv_tokens().size();
        std::vector<llama_token> draft;
        int idx0 = -1;
        if (!pending_decode_.empty()) {
            std::vector<llama_token> batch = std::move(pending_decode_);
            pending_decode_.clear();
            const size_t n_pending = batch.size();
            if (params_.draft_ngram_max > 0 && params_.draft_num_pred > 0 && n_pending == 1 && forced_queue_.empty())
                draft = draft_after(batch[0]);
            batch.insert(batch.end(), draft.begin(), draft.end());
            ctx_.decode_with_logits(batch, n_pending - 1);
            ++decode_calls_;
            n_drafted_ += (int64_t)draft.size();
            n_confirmed += n_pending;
            idx0 = (int)n_pending - 1;
        }
        sample_loop(idx0, draft, n_confirmed, chunk);
        return chunk;
    } catch (...) {
        clock_.finish();
        finished_ = true;
        finish_reason_ = FinishReason::Error;
        release_lease();
        throw;
    }
}

}  // namespace llama_native
