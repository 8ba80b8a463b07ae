// Implementation of the token loop (see generation.h).
#include "generation.h"

#include <nanobind/nanobind.h>

#include <stdexcept>

namespace nb = nanobind;

namespace llama_native {
namespace {

// Length of the longest prefix of `s` that does not end inside a UTF-8 sequence.
size_t complete_utf8_prefix(const std::string &s) {
    size_t n = s.size();
    // Look back at most 3 bytes for a lead byte whose sequence is cut off.
    for (size_t back = 1; back <= 4 && back <= n; ++back) {
        unsigned char c = (unsigned char)s[n - back];
        if ((c & 0xC0) == 0x80) continue;  // continuation byte
        size_t need = (c & 0x80) == 0 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        return back < need ? n - back : n;
    }
    return n;
}

// Replace invalid UTF-8 sequences by U+FFFD so Python always gets valid text.
std::string sanitize_utf8(const std::string &s) {
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = len > 0 && i + len <= s.size();
        if (ok && len > 1) {
            for (size_t k = 1; k < len; ++k) ok = ok && (((unsigned char)s[i + k]) & 0xC0) == 0x80;
            if (ok) {
                uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
                for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (((unsigned char)s[i + k]) & 0x3F);
                ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) && !(len == 4 && cp < 0x10000) &&
                     cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
            }
        }
        if (ok) {
            out.append(s, i, len);
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            i += 1;
        }
    }
    return out;
}

}  // namespace

Generator::Generator(Context &ctx, std::vector<llama_token> prompt, const SamplingParams &sampling,
                     const GenerationParams &params)
    : ctx_(ctx), params_(params) {
    // Build the sampler first: an invalid grammar fails before we wait for the context.
    sampler_ = std::make_unique<Sampler>(ctx.model(), sampling);
    if (prompt.size() > ctx.n_ctx())
        throw std::invalid_argument("prompt has " + std::to_string(prompt.size()) +
                                    " tokens but the context holds only " + std::to_string(ctx.n_ctx()) +
                                    " (n_ctx); shorten the prompt or raise n_ctx");
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

Generator::~Generator() { release_lease(); }

void Generator::release_lease() {
    if (has_lease_.exchange(false)) ctx_.release();
}

void Generator::cancel() {
    cancelled_.store(true);
    if (has_lease_) ctx_.request_abort();
}

void Generator::close() {
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
    size_t safe = pending_text_.size();
    if (!final_flush) {
        safe = complete_utf8_prefix(pending_text_);
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
        safe = std::min(safe, pending_text_.size() - hold);
    }
    chunk.text += sanitize_utf8(pending_text_.substr(0, safe));
    pending_text_.erase(0, safe);
}

std::optional<Chunk> Generator::next() {
    if (finished_) return std::nullopt;
    Chunk chunk;
    nb::gil_scoped_release release;
    try {
        if (pending_decode_) {
            llama_token t = *pending_decode_;
            pending_decode_.reset();
            if (cancelled_.load()) {
                finish("cancelled", chunk);
                return chunk;
            }
            ctx_.decode_next(t);
        }
        if (cancelled_.load()) {
            finish("cancelled", chunk);
            return chunk;
        }
        const llama_token token = sampler_->sample(ctx_.get(), -1);
        const Model &model = ctx_.model();
        if (model.is_eog(token)) {  // ends generation; not part of the completion
            take_safe_text(chunk, true);
            finish("stop", chunk);
            return chunk;
        }
        chunk.tokens.push_back(token);
        sampler_->accept(token);
        generated_.push_back(token);
        pending_text_ += model.token_to_piece(token, false);

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
            return chunk;
        }
        const bool out_of_tokens = params_.max_tokens >= 0 && (int)generated_.size() >= params_.max_tokens;
        const bool context_full = ctx_.cached_tokens().size() + 1 >= ctx_.n_ctx();  // prompt + completion <= n_ctx
        if (out_of_tokens || context_full) {
            take_safe_text(chunk, true);
            finish("length", chunk);
            return chunk;
        }
        take_safe_text(chunk, false);
        pending_decode_ = token;
        return chunk;
    } catch (...) {
        finished_ = true;
        finish_reason_ = "error";
        release_lease();
        throw;
    }
}

}  // namespace llama_native
