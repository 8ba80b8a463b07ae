// Implementation of the token loop (see generation.h).
#include "generation.h"

#include <chrono>

#include <nanobind/nanobind.h>

#include <stdexcept>
#include <thread>

namespace nb = nanobind;

namespace llama_native {
namespace {

void append_code_point(std::string &out, uint32_t cp) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;  // not a character
    if (cp < 0x80) {
        out += (char)cp;
    } else if (cp < 0x800) {
        out += (char)(0xC0 | (cp >> 6));
        out += (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += (char)(0xE0 | (cp >> 12));
        out += (char)(0x80 | ((cp >> 6) & 0x3F));
        out += (char)(0x80 | (cp & 0x3F));
    } else {
        out += (char)(0xF0 | (cp >> 18));
        out += (char)(0x80 | ((cp >> 12) & 0x3F));
        out += (char)(0x80 | ((cp >> 6) & 0x3F));
        out += (char)(0x80 | (cp & 0x3F));
    }
}

}  // namespace

Generator::Generator(Context &ctx, std::vector<llama_token> prompt, const SamplingParams &sampling,
                     const GenerationParams &params)
    : ctx_(ctx), params_(params) {
    // Build the sampler first: an invalid grammar fails before we wait for the context.
    sampler_ = std::make_unique<Sampler>(ctx.model(), sampling);
    n_ctx_limit_ = ctx.n_ctx_seq();
    spare_core_ = std::thread::hardware_concurrency() > (unsigned)llama_n_threads(ctx.get());
    if (prompt.size() > n_ctx_limit_)
        throw std::invalid_argument("prompt has " + std::to_string(prompt.size()) +
                                    " tokens but the context holds only " + std::to_string(n_ctx_limit_) +
                                    " (n_ctx); shorten the prompt or raise n_ctx");
    if (ctx.parallel()) {
        if (prompt.empty()) throw std::invalid_argument("the prompt has no tokens");
        for (llama_token t : prompt) ctx.model().check_token(t);
        params_.draft_ngram_max = 0;  // drafts verify on a single sequence only
        n_prompt_ = prompt.size();
        prompt_ = std::move(prompt);
        sched_ = &ctx.scheduler();
        sched_->submit(this);
        return;
    }
    ctx_.acquire();
    has_lease_ = true;
    try {
        ctx_.reset_abort();
        n_prompt_ = prompt.size();
        nb::gil_scoped_release release;
        n_reused_ = ctx_.load_prompt(prompt, true);
    } catch (...) {
        release_lease();
        throw;
    }
}

std::vector<llama_token> &Generator::kv_tokens() { return slot_ ? slot_->tokens : ctx_.seq0_tokens(); }

void Generator::truncate_kv(size_t n) {
    if (slot_) ctx_.truncate_seq(slot_->seq, slot_->tokens, n);
    else ctx_.truncate(n);
}

Generator::~Generator() {
    withdraw();
    release_lease();
}

void Generator::withdraw() {
    if (sched_) without_gil([this] { sched_->withdraw(this); });
}

void Generator::fail(std::exception_ptr error) {
    finished_ = true;
    finish_reason_ = "error";
    error_ = std::move(error);
}

void Utf8Decoder::feed(const std::string &piece, std::string &out) {
    static const int lookup[] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4};
    size_t pos = 0;
    const size_t len = piece.size();
    while (pos < len && remain > 0) {
        const uint8_t b = (uint8_t)piece[pos];
        if ((b >> 6) != 2) {  // the pending sequence is broken
            append_code_point(out, 0xFFFD);
            remain = 0;
            value = 0;
            break;
        }
        value = (value << 6) + (b & 0x3F);
        ++pos;
        if (--remain == 0) append_code_point(out, value);
    }
    while (pos < len) {
        const uint8_t first = (uint8_t)piece[pos++];
        const int need = lookup[first >> 4] - 1;
        if (need < 0) {
            append_code_point(out, 0xFFFD);
            continue;
        }
        value = first & ((1u << (7 - need)) - 1);
        remain = need;
        while (pos < len && remain > 0) {
            value = (value << 6) + (((uint8_t)piece[pos++]) & 0x3F);
            --remain;
        }
        if (remain == 0) append_code_point(out, value);
    }
}

void Utf8Decoder::flush(std::string &out) {
    if (remain > 0) append_code_point(out, 0xFFFD);  // ends inside a character
    remain = 0;
    value = 0;
}

void Generator::decode_piece(const std::string &piece) {
    const size_t before = pending_text_.size();
    utf8_.feed(piece, pending_text_);
    full_text_.append(pending_text_, before, std::string::npos);
}

void Generator::set_end_check(nb::object check) {
    end_check_ = std::move(check);
    if (!end_check_.is_valid() || end_check_.is_none()) {
        sampler_->set_end_check(nullptr);
        return;
    }
    // Called with the GIL released, from inside sample().
    sampler_->set_end_check([this](llama_token token, bool eog) {
        std::string text = full_text_;
        if (!eog) {
            Utf8Decoder copy = utf8_;
            copy.feed(ctx_.model().token_to_piece(token, false), text);
            copy.flush(text);
        }
        nb::gil_scoped_acquire acquire;
        return nb::cast<bool>(end_check_(nb::str(text.data(), text.size())));
    });
}

void Generator::release_lease() {
    if (has_lease_.exchange(false)) ctx_.release();
}

void Generator::cancel() {
    cancelled_.store(true);
    if (has_lease_) ctx_.request_abort();
}

void Generator::close() {
    if (sched_) {
        withdraw();
        if (!finished_) finish_reason_ = "cancelled";
        consumer_finished_ = true;
        return;
    }
    if (!finished_) {
        finished_ = true;
        finish_reason_ = "cancelled";
    }
    release_lease();
}

void Generator::finish(const std::string &reason, Chunk &chunk) {
    finished_ = true;
    finish_reason_ = reason;
    chunk.finish_reason = reason;
    release_lease();
}

void Generator::take_safe_text(Chunk &chunk, bool final_flush) {
    if (final_flush) utf8_.flush(pending_text_);
    size_t safe = pending_text_.size();  // always whole characters (see decode_piece)
    if (!final_flush) {
        // Hold back the longest tail that could still grow into a stop string.
        size_t hold = 0;
        for (const auto &stop : params_.stop) {
            if (stop.empty()) continue;
            for (size_t k = std::min(stop.size() - 1, pending_text_.size()); k > hold; --k) {
                if (pending_text_.compare(pending_text_.size() - k, k, stop, 0, k) == 0) {
                    hold = k;
                    break;
                }
            }
        }
        safe = pending_text_.size() - hold;
    }
    chunk.text += pending_text_.substr(0, safe);
    pending_text_.erase(0, safe);
}

// Handle one sampled token: returns true when it ends generation.
// `n_cached`: tokens in the KV cache before this one (confirmed ones only).
bool Generator::emit(llama_token token, Chunk &chunk, size_t n_cached) {
    const Model &model = ctx_.model();
    if (model.is_eog(token)) {  // ends generation; not part of the completion
        take_safe_text(chunk, true);
        finish("stop", chunk);
        return true;
    }
    chunk.tokens.push_back(token);
    sampler_->accept(token);
    generated_.push_back(token);
    decode_piece(model.token_to_piece(token, false));

    // A stop string ends generation; it and anything after it are never emitted.
    size_t stop_at = std::string::npos;
    for (const auto &stop : params_.stop) {
        if (stop.empty()) continue;
        size_t pos = pending_text_.find(stop);
        if (pos != std::string::npos && pos < stop_at) stop_at = pos;
    }
    if (stop_at != std::string::npos) {
        pending_text_.resize(stop_at);
        take_safe_text(chunk, true);
        finish("stop", chunk);
        return true;
    }
    const bool out_of_tokens = params_.max_tokens >= 0 && (int)generated_.size() >= params_.max_tokens;
    // prompt + completion <= n_ctx (the token just sampled is not decoded yet)
    const bool context_full = n_cached + 1 >= n_ctx_limit_;
    if (out_of_tokens || context_full) {
        take_safe_text(chunk, true);
        finish("length", chunk);
        return true;
    }
    return false;
}

// Prompt lookup: the tokens that followed the most recent earlier occurrence
// of the history's last n-gram (longest n first).  The history is the cached
// tokens followed by `next`, read in place.
std::vector<llama_token> Generator::draft_after(llama_token next) const {
    const auto &cached = ctx_.cached_tokens();  // drafting runs on single-sequence contexts only
    const size_t n_hist = cached.size() + 1;
    auto at = [&](size_t i) { return i < cached.size() ? cached[i] : next; };
    size_t room = std::min<size_t>((size_t)params_.draft_num_pred, ctx_.n_batch() - 1);
    room = std::min(room, ctx_.n_ctx() > n_hist + 1 ? (size_t)ctx_.n_ctx() - n_hist - 1 : (size_t)0);
    if (params_.max_tokens >= 0) {
        const size_t left = (size_t)params_.max_tokens - generated_.size();
        room = std::min(room, left > 1 ? left - 1 : (size_t)0);
    }
    if (room == 0) return {};
    for (size_t n = std::min<size_t>((size_t)params_.draft_ngram_max, n_hist - 1); n >= 1; --n) {
        for (size_t j = n_hist - n; j-- > 0;) {  // most recent earlier occurrence first
            size_t k = 0;
            while (k < n && at(j + k) == at(n_hist - n + k)) ++k;
            if (k < n) continue;
            std::vector<llama_token> draft;
            for (size_t i = j + n; i < n_hist && draft.size() < room; ++i) draft.push_back(at(i));
            return draft;
        }
    }
    return {};
}

// Tokens the grammar forces after the last chosen token (llguidance only).
// With jump_forward they join the pending batch now; otherwise they are fed
// one per step.  Once only the end may follow, jump_forward ends right away
// instead of decoding once more to sample the end token.
void Generator::append_forced(Chunk &chunk, size_t n_kv) {
    if (!sampler_->uses_llguidance()) return;
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
            if (emit(t, chunk, n_kv + pending_decode_.size())) return;
            pending_decode_.push_back(t);
        }
    }
    if (sampler_->grammar_stopped()) {
        if (!sampler_->end_allowed_now())
            throw NoValidContinuation(
                "the output can no longer become valid: the value the grammar forces fails the final check");
        take_safe_text(chunk, true);
        finish("stop", chunk);
    }
}

// Sample from the logits of batch output idx0 (+ i for drafted positions;
// -1: the last output), emitting tokens until one differs from the draft.
void Generator::sample_loop(int idx0, const std::vector<llama_token> &draft, size_t n_confirmed, Chunk &chunk) {
    for (size_t i = 0;; ++i) {
        if (cancelled_.load()) {
            truncate_kv(n_confirmed + i);
            finish("cancelled", chunk);
            return;
        }
        llama_token token;
        if (!forced_queue_.empty()) {
            token = forced_queue_.front();
            forced_queue_.pop_front();
        } else {
            token = sampler_->sample(ctx_.get(), idx0 < 0 ? -1 : idx0 + (int)i);
        }
        const bool matches = i < draft.size() && token == draft[i];
        if (emit(token, chunk, n_confirmed + i)) {
            truncate_kv(n_confirmed + i + (matches ? 1 : 0));
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
std::optional<Chunk> Generator::next_batched(bool whole) {
    nb::gil_scoped_release release;
    std::unique_lock<std::mutex> lock(sched_->mutex());
    auto done = [this, whole] {
        if (producer_done_) return true;
        if (ready_.empty()) return false;
        return !whole || !ready_.back().finish_reason.empty();
    };
    while (!ready_cv_.wait_for(lock, std::chrono::milliseconds(100), done)) {
        lock.unlock();
        {
            nb::gil_scoped_acquire acquire;
            if (PyErr_CheckSignals() != 0) throw nb::python_error();
        }
        lock.lock();
    }
    if (ready_.empty()) {
        consumer_finished_ = true;
        if (error_) std::rethrow_exception(error_);
        return std::nullopt;
    }
    Chunk chunk = std::move(ready_.front());
    ready_.pop_front();
    for (; !ready_.empty() && chunk.finish_reason.empty(); ready_.pop_front()) {
        Chunk &more = ready_.front();
        chunk.text += more.text;
        chunk.tokens.insert(chunk.tokens.end(), more.tokens.begin(), more.tokens.end());
        chunk.finish_reason = std::move(more.finish_reason);
    }
    if (!chunk.finish_reason.empty()) consumer_finished_ = true;
    return chunk;
}

std::optional<Chunk> Generator::next(bool whole) {
    if (sched_) {
        if (consumer_finished_) return std::nullopt;
        return next_batched(whole);
    }
    if (finished_) return std::nullopt;
    Chunk chunk;
    nb::gil_scoped_release release;
    try {
        if (cancelled_.load()) {
            finish("cancelled", chunk);
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
        finished_ = true;
        finish_reason_ = "error";
        release_lease();
        throw;
    }
}

}  // namespace llama_native
