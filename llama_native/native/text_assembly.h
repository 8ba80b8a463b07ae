// Text assembly for the token loop: token bytes to whole UTF-8 characters,
// decoded as llama.cpp's grammar engine decodes them, and stop strings (a
// stop string ends the text and is never emitted; a tail that could still
// grow into one is held back until it cannot).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace llama_native {

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

// The text of one generation: what is decoded, what is safe to hand out.
class TextAssembler {
  public:
    // `per_token`: hold back and hand out whole tokens' text (llama-cpp-python's
    // streaming); otherwise the held tail starts at a character.
    explicit TextAssembler(std::vector<std::string> stops, bool per_token = false)
        : stops_(std::move(stops)), per_token_(per_token) {}

    // Append a token's bytes.  Returns true when a stop string now appears:
    // the text is cut where it starts (the caller then finishes).
    bool feed(const std::string &piece);
    // Move the text that is safe to hand out into `out`: whole characters,
    // less the longest tail that could still grow into a stop string.
    // `final_flush` (the generation ends): everything, an unfinished
    // character as U+FFFD.  With `per_token` the text also goes to `pieces`,
    // one per token, and the hold-back ends where the held token starts.
    void take(std::string &out, std::vector<std::string> &pieces, bool final_flush);
    // Everything decoded so far (stop strings included).
    const std::string &full() const { return full_; }
    // full() as it would read after `piece`, with an unfinished character as
    // U+FFFD; nothing changes (the end check vets a candidate token with it).
    std::string preview(const std::string &piece) const;

  private:
    std::vector<std::string> stops_;
    Utf8Decoder utf8_;
    std::string pending_;  // decoded, whole characters not yet handed out
    std::string full_;
    bool per_token_;
    std::deque<size_t> token_sizes_;  // per_token_: the bytes of each token's text in pending_
    bool stopped_at_start_ = false;  // per_token_: a stop string began where pending_ began
};

}  // namespace llama_native
