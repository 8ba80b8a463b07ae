// The continuous-batching loop (see scheduler.h).
#include "scheduler.h"

#include "context.h"
#include "generation.h"

#include <algorithm>
#include <stdexcept>

namespace llama_native {

Scheduler::Scheduler(Context &ctx) : ctx_(ctx) {
    const uint32_t n = ctx.n_seq_max();
    slots_.resize(n);
    for (uint32_t i = 0; i < n; ++i) slots_[i].seq = (llama_seq_id)i;
    llama_memory_clear(llama_get_memory(ctx.get()), true);
    thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    work_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Scheduler::submit(Generator *g) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stop_) throw std::runtime_error("the context is shutting down");
        waiting_.push_back(g);
    }
    work_cv_.notify_all();
}

void Scheduler::withdraw(Generator *g) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (g->gone_) return;
    g->leaving_ = true;
    leaving_.push_back(g);
    work_cv_.notify_all();
    gone_cv_.wait(lock, [g] { return g->gone_; });
}

void Scheduler::clear_idle() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Slot &slot : slots_) {
        if (slot.busy) continue;
        llama_memory_seq_rm(llama_get_memory(ctx_.get()), slot.seq, -1, -1);
        slot.tokens.clear();
    }
}

// The free slot whose tokens share the longest prefix with the prompt (ties:
// the emptiest, so long cached prefixes survive for later requests).
Slot *Scheduler::choose_slot(const std::vector<llama_token> &prompt) {
    Slot *best = nullptr;
    size_t best_common = 0;
    for (Slot &slot : slots_) {
        if (slot.busy) continue;
        const size_t common = common_prefix(slot.tokens, prompt);
        if (!best || common > best_common || (common == best_common && slot.tokens.size() < best->tokens.size())) {
            best = &slot;
            best_common = common;
        }
    }
    return best;
}

void Scheduler::admit_locked() {
    while (!waiting_.empty()) {
        Generator *g = waiting_.front();
        Slot *slot = choose_slot(g->prompt_);
        if (!slot) return;
        waiting_.pop_front();
        slot->busy = true;
        g->slot_ = slot;
        g->n_reused_ = g->prefill_pos_ = ctx_.keep_prefix(slot->seq, slot->tokens, g->prompt_);
        active_.push_back(g);
    }
}

// Called with the lock held: the request leaves the active set for good.
void Scheduler::retire_locked(Generator *g) {
    active_.erase(std::remove(active_.begin(), active_.end(), g), active_.end());
    if (g->slot_) g->slot_->busy = false;  // its tokens stay cached for the next request
    g->producer_done_ = true;
    g->ready_cv_.notify_all();
}

void Scheduler::run() {
    struct Entry {
        Generator *g;
        size_t first, count;  // its tokens in the batch
        bool sample;          // logits at its last token, to sample from
    };
    llama_batch &batch = ctx_.batch();
    const size_t n_batch = ctx_.n_batch();
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        for (Generator *g : leaving_) {
            waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), g), waiting_.end());
            if (std::find(active_.begin(), active_.end(), g) != active_.end()) retire_locked(g);
            g->producer_done_ = true;
            g->gone_ = true;
        }
        if (!leaving_.empty()) {
            leaving_.clear();
            gone_cv_.notify_all();
        }
        if (stop_) {
            for (Generator *g : waiting_) active_.push_back(g);
            waiting_.clear();
            for (Generator *g : std::vector<Generator *>(active_)) {
                g->fail(std::make_exception_ptr(std::runtime_error("the context was closed")));
                retire_locked(g);
            }
            return;
        }
        admit_locked();
        if (active_.empty()) {
            work_cv_.wait(lock);
            continue;
        }

        // One batch: every decoding request's pending tokens, then prompt
        // chunks of the requests still reading their prompt.
        std::vector<Entry> entries;
        std::vector<Generator *> cancelled;
        size_t used = 0;
        for (Generator *g : active_) {
            if (g->cancelled_.load()) {
                cancelled.push_back(g);
                continue;
            }
            if (g->prefill_pos_ < g->prompt_.size() || g->pending_decode_.empty()) continue;
            if (used + g->pending_decode_.size() > n_batch) continue;  // next step
            entries.push_back({g, used, g->pending_decode_.size(), true});
            used += g->pending_decode_.size();
        }
        for (Generator *g : active_) {
            if (g->cancelled_.load() || g->prefill_pos_ >= g->prompt_.size() || used >= n_batch) continue;
            const size_t count = std::min(n_batch - used, g->prompt_.size() - g->prefill_pos_);
            entries.push_back({g, used, count, g->prefill_pos_ + count == g->prompt_.size()});
            used += count;
        }
        lock.unlock();

        std::vector<std::pair<Generator *, Chunk>> produced;
        for (Generator *g : cancelled) {
            Chunk chunk;
            g->finish("cancelled", chunk);
            produced.emplace_back(g, std::move(chunk));
        }
        std::string failure;
        if (!entries.empty()) {
            batch.n_tokens = (int32_t)used;
            for (const Entry &e : entries) {
                Generator *g = e.g;
                const bool prefill = g->prefill_pos_ < g->prompt_.size();
                const llama_token *src = prefill ? g->prompt_.data() + g->prefill_pos_ : g->pending_decode_.data();
                const llama_pos pos0 = (llama_pos)g->slot_->tokens.size();
                for (size_t i = 0; i < e.count; ++i) {
                    const size_t k = e.first + i;
                    batch.token[k] = src[i];
                    batch.pos[k] = pos0 + (llama_pos)i;
                    batch.n_seq_id[k] = 1;
                    batch.seq_id[k][0] = g->slot_->seq;
                    batch.logits[k] = e.sample && i + 1 == e.count;
                }
            }
            const int rc = llama_decode(ctx_.get(), batch);
            if (rc != 0) failure = "llama_decode failed with status " + std::to_string(rc);
            for (const Entry &e : entries) {
                Generator *g = e.g;
                const bool prefill = g->prefill_pos_ < g->prompt_.size();
                if (!failure.empty()) {
                    llama_memory_seq_rm(llama_get_memory(ctx_.get()), g->slot_->seq, -1, -1);
                    g->slot_->tokens.clear();
                    g->fail(std::make_exception_ptr(std::runtime_error(failure)));
                    produced.emplace_back(g, Chunk{});
                    continue;
                }
                if (prefill) {
                    g->slot_->tokens.insert(g->slot_->tokens.end(), g->prompt_.begin() + (long)g->prefill_pos_,
                                            g->prompt_.begin() + (long)(g->prefill_pos_ + e.count));
                    g->prefill_pos_ += e.count;
                } else {
                    g->slot_->tokens.insert(g->slot_->tokens.end(), g->pending_decode_.begin(),
                                            g->pending_decode_.end());
                    g->pending_decode_.clear();
                    ++g->decode_calls_;
                }
                if (!e.sample) continue;
                Chunk chunk;
                try {
                    g->sample_loop((int)(e.first + e.count - 1), {}, g->slot_->tokens.size(), chunk);
                } catch (...) {
                    g->fail(std::current_exception());
                }
                produced.emplace_back(g, std::move(chunk));
            }
        }

        lock.lock();
        for (auto &[g, chunk] : produced) {
            if (!g->error_) g->ready_.push_back(std::move(chunk));
            if (g->finished_ || g->error_) retire_locked(g);
            else g->ready_cv_.notify_all();
        }
    }
}

}  // namespace llama_native
