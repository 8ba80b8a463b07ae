// See reasoning_budget.h.
#include "reasoning_budget.h"

#include <algorithm>
#include <stdexcept>

namespace llama_native {

ReasoningBudget::ReasoningBudget(const Model &model, int budget, std::string start, std::string end, bool opened)
    : model_(model), budget_(budget), start_(std::move(start)), end_(std::move(end)), inside_(opened) {
    if (budget_ < 0) throw std::invalid_argument("reasoning_budget must be 0 or more");
    if (end_.empty()) throw std::invalid_argument("a reasoning budget needs the end-of-thinking marker");
    end_tokens_ = model_.tokenize(end_, false, true);
    if (end_tokens_.empty()) throw std::invalid_argument("the end-of-thinking marker tokenizes to nothing");
}

bool ReasoningBudget::forced_next(llama_token &token) {
    if (!inside_) return false;
    if (!is_forcing_ && spent_ >= budget_) {
        is_forcing_ = true;
        forcing_ = 0;
    }
    if (!is_forcing_ || forcing_ >= end_tokens_.size()) return false;
    token = end_tokens_[forcing_];
    return true;
}

void ReasoningBudget::accept(llama_token token) {
    if (is_forcing_ && forcing_ < end_tokens_.size() && token == end_tokens_[forcing_]) {
        if (++forcing_ == end_tokens_.size()) {
            is_forcing_ = false;
            inside_ = false;
            tail_.clear();
        }
        return;
    }
    is_forcing_ = false;  // a token other than the marker's (the grammar refused it): count on
    tail_ += model_.token_to_piece(token, true);
    const size_t keep = std::max(start_.size(), end_.size()) + 16;
    if (inside_) {
        ++spent_;
        if (tail_.find(end_) != std::string::npos) {
            inside_ = false;
            tail_.clear();
        }
    } else if (!start_.empty() && tail_.find(start_) != std::string::npos) {
        inside_ = true;
        spent_ = 0;
        tail_.clear();
    }
    if (tail_.size() > keep) tail_.erase(0, tail_.size() - keep);
}

}  // namespace llama_native
