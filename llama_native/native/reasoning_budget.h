// A cap on thinking tokens: once a reply has spent `budget` tokens inside its
// reasoning block, the end-of-thinking marker is forced, token by token, as
// llama-server's --reasoning-budget does (common/reasoning-budget.cpp).  Ours
// watches text rather than token sequences, so a marker is seen however the
// model happened to tokenize it.
#pragma once

#include "model.h"

#include <llama.h>

#include <string>
#include <vector>

namespace llama_native {

class ReasoningBudget {
  public:
    // `opened`: the prompt already ends inside the reasoning block.
    ReasoningBudget(const Model &model, int budget, std::string start, std::string end, bool opened);

    // The token forced next (the end marker's), if the budget is spent.
    bool forced_next(llama_token &token);
    // Record a chosen token.
    void accept(llama_token token);
    bool inside() const { return inside_; }

  private:
    const Model &model_;
    int budget_;
    std::string start_, end_;
    std::vector<llama_token> end_tokens_;
    bool inside_;
    int spent_ = 0;
    size_t forcing_ = 0;  // how many of end_tokens_ were forced; only while forcing
    bool is_forcing_ = false;
    std::string tail_;  // the last characters written, to see markers across tokens
};

}  // namespace llama_native
