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
    size_t stop_at = std::string::npos;
    for (const auto &stop : stops_) {
        if (stop.empty()) continue;
        size_t pos = pending_.find(stop);
        if (pos != std::string::npos && pos < stop_at) stop_at = pos;
    }
    if (stop_at == std::string::npos) return false;
    pending_.resize(stop_at);
    return true;
}

void TextAssembler::take(std::string &out, bool final_flush) {
    if (final_flush) utf8_.flush(pending_);
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
