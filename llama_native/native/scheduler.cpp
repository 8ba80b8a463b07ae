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

// The scheduler thread does the clearing between two steps: a sequence that
// looks idle may hold a placeholder token during a decode.
void Scheduler::clear_idle() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stop_) return;
    clear_requested_ = true;
    work_cv_.notify_all();
    gone_cv_.wait(lock, [this] { return !clear_requested_ || stop_; });
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

// Called with the lock held, for a request still reading its prompt: when
// another sequence holds a longer beginning of the prompt than this one's
// own sequence, copy that sequence's KV state instead of decoding those
// tokens again (concurrent requests often share a long system prompt).
// Returns false when the request should wait a step: an earlier request is
// still decoding a beginning they share.
bool Scheduler::share_prefix_locked(Generator *g) {
    const size_t limit = g->prompt_.size() - 1;  // the last token is decoded for its logits
    const size_t worth = g->prefill_pos_ + kMinSharedTokens;
    Slot *donor = nullptr;
    size_t best = 0;
    for (Slot &slot : slots_) {
        if (&slot == g->slot_) continue;
        const size_t common = std::min(common_prefix(slot.tokens, g->prompt_), limit);
        if (common > best) best = common, donor = &slot;
    }
    if (donor && best >= worth) {
        // A copy between sequences (KV streams) copies the whole stream; the
        // copied cells keep their places, so the sequence continues exactly
        // as if it had decoded them itself.
        llama_memory_t mem = llama_get_memory(ctx_.get());
        llama_memory_seq_rm(mem, g->slot_->seq, -1, -1);
        llama_memory_seq_cp(mem, donor->seq, g->slot_->seq, -1, -1);
        llama_memory_seq_rm(mem, g->slot_->seq, (llama_pos)best, -1);
        g->slot_->tokens.assign(donor->tokens.begin(), donor->tokens.begin() + (long)best);
        g->prefill_pos_ = g->n_reused_ = best;
        return true;
    }
    for (Generator *h : active_) {
        if (h == g) break;  // earlier requests only, so the first one never waits
        if (h->cancelled_.load() || h->prefill_pos_ >= h->prompt_.size()) continue;
        const size_t common = std::min(common_prefix(h->prompt_, g->prompt_), limit);
        if (common >= worth && h->slot_->tokens.size() < common) return false;
    }
    return true;
}

// Called with the lock held: the request leaves the active set for good.
void Scheduler::retire_locked(Generator *g) {
    active_.erase(std::remove(active_.begin(), active_.end(), g), active_.end());
    if (g->slot_) g->slot_->busy = false;  // its tokens stay cached for the next request
    g->producer_done_ = true;
    g->ready_cv_.notify_all();
}

// Called with the lock held: this step's batch, in sequence order, with
// each entry's place in it.
std::vector<Scheduler::Entry> Scheduler::plan_step_locked() {
    const size_t n_batch = ctx_.n_batch();
    const size_t n_ctx_seq = ctx_.n_ctx_seq();
    // Whether a request has reached its prompt's last token: from then on it
    // feeds its tokens in the decode part of a step (and samples after them).
    auto decoding = [](const Generator *g) { return g->prefill_pos_ + 1 >= g->prompt_.size(); };

    // The batch layout keeps each step in one llama_decode micro-batch.
    // With a sequence per KV stream, llama.cpp splits a batch into
    // micro-batches of consecutive sequence ids that all hold the same
    // number of tokens, and every extra micro-batch that carries logits
    // reads the whole output matrix again (most of a step's cost on a
    // large vocabulary).  So logits are only ever asked of a request's
    // single token in a step, and those all land in the first
    // micro-batch (one token of every sequence); the rest of a step needs
    // no logits and costs only the model's body:
    // - a request with one pending token feeds it and samples after it;
    //   with several (tokens a grammar forces), it feeds all but the last
    //   now and the last, with logits, in the next step;
    // - a prompt's last token is fed like a pending token, the rest of
    //   the prompt in chunks without logits;
    // - entries go in sequence order, and an idle sequence between two
    //   busy ones gets a placeholder token, removed after the decode.
    std::vector<Entry> entries;
    size_t used = 0;
    for (Generator *g : active_) {
        if (g->cancelled_.load() || !decoding(g)) continue;
        const bool last_prompt_token = g->prefill_pos_ < g->prompt_.size();
        const size_t pending = last_prompt_token ? 1 : g->pending_decode_.size();
        if (pending == 0) continue;
        // all but the last pending token now (no logits), the last one next step
        const size_t count = pending > 1 ? pending - 1 : 1;
        if (used + count + slots_.size() > n_batch) continue;  // next step
        entries.push_back({g, g->slot_, 0, count, pending == 1});
        used += count;
    }
    for (Generator *g : active_) {
        if (g->cancelled_.load() || decoding(g) || !share_prefix_locked(g)) continue;
        const size_t room = n_batch > used + slots_.size() ? n_batch - used - slots_.size() : 0;
        const size_t count = std::min(room, g->prompt_.size() - 1 - g->prefill_pos_);
        if (count == 0) continue;
        entries.push_back({g, g->slot_, 0, count, false});
        used += count;
    }
    if (entries.empty()) return entries;
    std::vector<bool> present(slots_.size(), false);
    llama_seq_id lo = entries.front().slot->seq, hi = lo;
    for (const Entry &e : entries) {
        present[(size_t)e.slot->seq] = true;
        lo = std::min(lo, e.slot->seq);
        hi = std::max(hi, e.slot->seq);
    }
    for (llama_seq_id s = lo; s <= hi; ++s) {
        Slot &slot = slots_[(size_t)s];
        if (!present[(size_t)s] && slot.tokens.size() + 1 <= n_ctx_seq) entries.push_back({nullptr, &slot, 0, 1, false});
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry &a, const Entry &b) { return a.slot->seq < b.slot->seq; });
    used = 0;
    for (Entry &e : entries) {
        e.first = used;
        used += e.count;
    }
    return entries;
}

void Scheduler::run() {
    llama_batch &batch = ctx_.batch();
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
        if (clear_requested_) {
            for (Slot &slot : slots_) {
                if (slot.busy) continue;
                llama_memory_seq_rm(llama_get_memory(ctx_.get()), slot.seq, -1, -1);
                slot.tokens.clear();
            }
            clear_requested_ = false;
            gone_cv_.notify_all();
        }
        if (stop_) {
            gone_cv_.notify_all();
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

        std::vector<Generator *> cancelled;
        for (Generator *g : active_)
            if (g->cancelled_.load()) cancelled.push_back(g);
        const std::vector<Entry> entries = plan_step_locked();
        const size_t used = entries.empty() ? 0 : entries.back().first + entries.back().count;
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
                const Slot &slot = *e.slot;
                const llama_token placeholder = slot.tokens.empty() ? 0 : slot.tokens.back();
                const llama_token *src = !g                                     ? &placeholder
                                         : g->prefill_pos_ < g->prompt_.size() ? g->prompt_.data() + g->prefill_pos_
                                                                                : g->pending_decode_.data();
                const llama_pos pos0 = (llama_pos)slot.tokens.size();
                for (size_t i = 0; i < e.count; ++i) {
                    const size_t k = e.first + i;
                    batch.token[k] = src[i];
                    batch.pos[k] = pos0 + (llama_pos)i;
                    batch.n_seq_id[k] = 1;
                    batch.seq_id[k][0] = slot.seq;
                    batch.logits[k] = e.sample && i + 1 == e.count;
                }
            }
            const int rc = llama_decode(ctx_.get(), batch);
            if (rc != 0) failure = "llama_decode failed with status " + std::to_string(rc);
            for (const Entry &e : entries) {
                Generator *g = e.g;
                if (!g) {  // the placeholder leaves no trace
                    llama_memory_seq_rm(llama_get_memory(ctx_.get()), e.slot->seq, (llama_pos)e.slot->tokens.size(), -1);
                    continue;
                }
                if (!failure.empty()) {
                    llama_memory_seq_rm(llama_get_memory(ctx_.get()), g->slot_->seq, -1, -1);
                    g->slot_->tokens.clear();
                    g->fail(std::make_exception_ptr(std::runtime_error(failure)));
                    produced.emplace_back(g, Chunk{});
                    continue;
                }
                std::vector<llama_token> &kv = g->slot_->tokens;
                if (g->prefill_pos_ < g->prompt_.size()) {
                    kv.insert(kv.end(), g->prompt_.begin() + (long)g->prefill_pos_,
                              g->prompt_.begin() + (long)(g->prefill_pos_ + e.count));
                    g->prefill_pos_ += e.count;
                } else {
                    kv.insert(kv.end(), g->pending_decode_.begin(), g->pending_decode_.begin() + (long)e.count);
                    g->pending_decode_.erase(g->pending_decode_.begin(), g->pending_decode_.begin() + (long)e.count);
                    ++g->decode_calls_;
                }
                if (!e.sample) continue;
                Chunk chunk;
                try {
                    g->sample_loop((int)(e.first + e.count - 1), {}, kv.size(), chunk);
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
