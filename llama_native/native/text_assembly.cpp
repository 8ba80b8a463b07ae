// Implementation of text_assembly.h.
#include "text_assembly.h"

#include <algorithm>

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

bool TextAssembler::feed(const std::string &piece) {
    const size_t before = pending_.size();
    utf8_.feed(piece, pending_);
    full_.append(pending_, before, std::string::npos);
    if (per_token_ && pending_.size() > before) token_sizes_.push_back(pending_.size() - before);
    size_t stop_at = std::string::npos;
    for (const auto &stop : stops_) {
        if (stop.empty()) continue;
        size_t pos = pending_.find(stop);
        if (pos != std::string::npos && pos < stop_at) stop_at = pos;
    }
    if (stop_at == std::string::npos) return false;
    pending_.resize(stop_at);
    if (per_token_) {  // the tokens' text before the stop string (the last one cut)
        stopped_at_start_ = stop_at == 0;
        size_t kept = 0;
        for (size_t i = 0; i < token_sizes_.size(); ++i) {
            if (kept + token_sizes_[i] >= stop_at) {
                token_sizes_[i] = stop_at - kept;
                token_sizes_.resize(i + 1);
                break;
            }
            kept += token_sizes_[i];
        }
        if (stop_at == 0) token_sizes_.clear();
    }
    return true;
}

void TextAssembler::take(std::string &out, std::vector<std::string> &pieces, bool final_flush) {
    if (final_flush) {
        const size_t before = pending_.size();
        utf8_.flush(pending_);
        if (per_token_ && pending_.size() > before) token_sizes_.push_back(pending_.size() - before);
    }
    size_t safe = pending_.size();  // always whole characters (see feed)
    if (!final_flush) {
        // Hold back the longest tail that could still grow into a stop string.
        size_t hold = 0;
        for (const auto &stop : stops_) {
            if (stop.empty()) continue;
            for (size_t k = std::min(stop.size() - 1, pending_.size()); k > hold; --k) {
                if (pending_.compare(pending_.size() - k, k, stop, 0, k) == 0) {
                    hold = k;
                    break;
                }
            }
        }
        safe = pending_.size() - hold;
    }
    if (per_token_) {
        // Whole tokens only, each its own piece (llama-cpp-python streams a
        // token once all of it is safe).  It also hands out one empty piece
        // when the stop string starts right where the held text starts.
        size_t taken = 0;
        while (!token_sizes_.empty() && taken + token_sizes_.front() <= safe) {
            pieces.push_back(pending_.substr(taken, token_sizes_.front()));
            taken += token_sizes_.front();
            token_sizes_.pop_front();
        }
        if (final_flush && stopped_at_start_) pieces.emplace_back();
        stopped_at_start_ = false;
        safe = taken;
    }
    out += pending_.substr(0, safe);
    pending_.erase(0, safe);
}

std::string TextAssembler::preview(const std::string &piece) const {
    std::string text = full_;
    Utf8Decoder copy = utf8_;
    copy.feed(piece, text);
    copy.flush(text);
    return text;
}

}  // namespace llama_native
