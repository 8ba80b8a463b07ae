// Implementation of prompt_lookup.h.
#include "prompt_lookup.h"

#include <algorithm>

namespace llama_native {

std::vector<llama_token> prompt_lookup_draft(const std::vector<llama_token> &cached, llama_token next,
                                             size_t ngram_max, size_t room) {
    if (room == 0) return {};
    const size_t n_hist = cached.size() + 1;
    auto at = [&](size_t i) { return i < cached.size() ? cached[i] : next; };
    for (size_t n = std::min(ngram_max, n_hist - 1); n >= 1; --n) {
        for (size_t j = n_hist - n; j-- > 0;) {  // most recent earlier occurrence first
            size_t k = 0;
            while (k < n && at(j + k) == at(n_hist - n + k)) ++k;
            if (k < n) continue;
            std::vector<llama_token> draft;
            // (an image's placeholder ids are not tokens: the draft stops before them)
            for (size_t i = j + n; i < n_hist && draft.size() < room && at(i) >= 0; ++i) draft.push_back(at(i));
            return draft;
        }
    }
    return {};
}

}  // namespace llama_native
