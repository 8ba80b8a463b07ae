// What the token loop hands to its consumer: chunks of text and why it ended.
// Shared by the token loop (generation.h) and the scheduler (scheduler.h).
#pragma once

#include "sampling.h"

#include <llama.h>

#include <string>
#include <vector>

namespace llama_native {

// Why a generation ended (None: it is still running).  Stop: an end-of-
// generation token, a stop string, or the grammar's end; Length: max_tokens
// or a full context; Cancelled: cancel(), close() or Ctrl-C; Error: the loop
// failed and next() rethrows the error.
enum class FinishReason { None, Stop, Length, Cancelled, Error };
// The name Python sees ("" for None).
const char *finish_reason_name(FinishReason reason);

struct Chunk {
    std::string text;                 // complete UTF-8, may be empty
    // With GenerationParams::text_per_token: `text` as llama-cpp-python streams
    // it, one piece per token (a character split across tokens in the token
    // that completes it); a stop string at the start of the text held back
    // leaves one empty piece.  Empty otherwise.
    std::vector<std::string> pieces;
    std::vector<llama_token> tokens;  // tokens sampled in this step
    std::vector<TokenLogprob> logprobs;  // one per token when SamplingParams::n_probs >= 0
    FinishReason finish_reason = FinishReason::None;
};

}  // namespace llama_native
