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

Request *Scheduler::submit(TokenLoop *loop, std::vector<llama_token> prompt, int id_slot) {
    Request *r;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stop_) throw std::runtime_error("the context is shutting down");
        requests_.push_back(std::make_unique<Request>(
            loop, std::move(prompt), id_slot < 0 ? -1 : (int)((size_t)id_slot % slots_.size())));
        r = requests_.back().get();
        waiting_.push_back(r);
    }
    work_cv_.notify_all();
    return r;
}

void Scheduler::withdraw(Request *r) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!r->gone) {
        leaving_.push_back(r);
        work_cv_.notify_all();
        gone_cv_.wait(lock, [r] { return r->gone; });
    }
    requests_.erase(std::remove_if(requests_.begin(), requests_.end(),
                                   [r](const std::unique_ptr<Request> &owned) { return owned.get() == r; }),
                    requests_.end());
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

size_t Scheduler::erase_slot(int slot) {
    SlotTask task{SlotTask::Kind::Erase, (size_t)slot, {}, {}};
    slot_task(task);
    return task.n_erased;
}

std::pair<std::string, std::vector<llama_token>> Scheduler::save_slot(int slot) {
    SlotTask task{SlotTask::Kind::Save, (size_t)slot, {}, {}};
    slot_task(task);
    return {std::move(task.data), std::move(task.tokens)};
}

void Scheduler::restore_slot(int slot, const std::string &data, const std::vector<llama_token> &tokens) {
    SlotTask task{SlotTask::Kind::Restore, (size_t)slot, data, tokens};
    slot_task(task);
}

void Scheduler::slot_task(SlotTask &task) {
    if (task.slot >= slots_.size())
        throw std::invalid_argument("slot " + std::to_string((long)task.slot) + " does not exist: this context has " +
                                    std::to_string(slots_.size()) + " slots (0 to " +
                                    std::to_string(slots_.size() - 1) + ")");
    {
        std::unique_lock<std::mutex> lock(mutex_);
        if (stop_) throw std::runtime_error("the context is shutting down");
        slot_tasks_.push_back(&task);
        work_cv_.notify_all();
        gone_cv_.wait(lock, [&task] { return task.done; });
    }
    if (task.error) std::rethrow_exception(task.error);
}

bool Scheduler::slot_reserved_locked(const Slot &slot) const {
    for (const SlotTask *task : slot_tasks_)
        if (&slots_[task->slot] == &slot) return true;
    return false;
}

// Called with the lock held, between steps: every pending action whose slot is idle.
void Scheduler::run_slot_tasks_locked() {
    bool ran = false;
    for (auto it = slot_tasks_.begin(); it != slot_tasks_.end();) {
        SlotTask &task = **it;
        if (slots_[task.slot].busy && !stop_) {
            ++it;
            continue;
        }
        try {
            if (stop_) throw std::runtime_error("the context was closed");
            run_slot_task(task);
        } catch (...) {
            task.error = std::current_exception();
        }
        task.done = true;
        ran = true;
        it = slot_tasks_.erase(it);
    }
    if (ran) gone_cv_.notify_all();
}

// The slot is idle and no step is running: only this thread touches the KV cache.
void Scheduler::run_slot_task(SlotTask &task) {
    Slot &slot = slots_[task.slot];
    llama_context *lctx = ctx_.get();
    llama_memory_t mem = llama_get_memory(lctx);
    switch (task.kind) {
        case SlotTask::Kind::Erase:
            task.n_erased = slot.tokens.size();
            llama_memory_seq_rm(mem, slot.seq, -1, -1);
            slot.tokens.clear();
            return;
        case SlotTask::Kind::Save: {
            const size_t size = llama_state_seq_get_size(lctx, slot.seq);
            task.data.assign(size, '\0');
            const size_t written =
                llama_state_seq_get_data(lctx, reinterpret_cast<uint8_t *>(task.data.data()), size, slot.seq);
            if (written == 0 && size != 0) throw std::runtime_error("could not read the slot's state");
            task.data.resize(written);
            task.tokens = slot.tokens;
            return;
        }
        case SlotTask::Kind::Restore: {
            if (task.tokens.size() > ctx_.n_ctx_seq())
                throw std::invalid_argument("the saved slot holds " + std::to_string(task.tokens.size()) +
                                            " tokens, more than this slot's context of " +
                                            std::to_string(ctx_.n_ctx_seq()));
            for (llama_token t : task.tokens)
                if (t >= 0) ctx_.model().check_token(t);  // (negative: an image's placeholders)
            llama_memory_seq_rm(mem, slot.seq, -1, -1);
            slot.tokens.clear();
            const size_t read = llama_state_seq_set_data(
                lctx, reinterpret_cast<const uint8_t *>(task.data.data()), task.data.size(), slot.seq);
            if (read == 0) {
                llama_memory_seq_rm(mem, slot.seq, -1, -1);
                throw std::invalid_argument("the saved state does not fit this model and slot");
            }
            slot.tokens = task.tokens;
            return;
        }
    }
}

// The free slot whose tokens share the longest prefix with the prompt (ties:
// the emptiest, so long cached prefixes survive for later requests); a
// request with `want_slot` gets that slot or waits.  A slot with an action
// pending is not given out.
Slot *Scheduler::choose_slot(const Request &r) {
    if (r.want_slot >= 0) {
        Slot &slot = slots_[(size_t)r.want_slot];
        return slot.busy || slot_reserved_locked(slot) ? nullptr : &slot;
    }
    const std::vector<llama_token> &prompt = r.prompt;
    Slot *best = nullptr;
    size_t best_common = 0;
    for (Slot &slot : slots_) {
        if (slot.busy || slot_reserved_locked(slot)) continue;
        const size_t common = common_prefix(slot.tokens, prompt);
        if (!best || common > best_common || (common == best_common && slot.tokens.size() < best->tokens.size())) {
            best = &slot;
            best_common = common;
        }
    }
    return best;
}

// Waiting requests in order; one that asked for a busy slot lets the others pass.
void Scheduler::admit_locked() {
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        Request *r = *it;
        Slot *slot = choose_slot(*r);
        if (!slot) {
            if (r->want_slot < 0) return;  // no free slot for anyone after it either (FIFO)
            ++it;
            continue;
        }
        it = waiting_.erase(it);
        slot->busy = true;
        r->slot = slot;
        r->phase = Phase::Prefill;
        r->loop->admitted();
        prefilled(r, ctx_.keep_prefix(slot->seq, slot->tokens, r->prompt, r->loop->media()));
        r->loop->set_reused(r->prefill_pos);
        active_.push_back(r);
    }
}

// `count` more prompt tokens are in the request's sequence; once only the
// last one is left, it is fed like a chosen token (with logits) and sampled.
void Scheduler::prefilled(Request *r, size_t count) {
    r->prefill_pos += count;
    if (r->phase == Phase::Prefill && r->prefill_pos + 1 >= r->prompt.size()) r->phase = Phase::Decoding;
}

// Called with the lock held, for a request still reading its prompt: when
// another sequence holds a longer beginning of the prompt than this one's
// own sequence, copy that sequence's KV state instead of decoding those
// tokens again (concurrent requests often share a long system prompt).
// Returns false when the request should wait a step: an earlier request is
// still decoding a beginning they share.
bool Scheduler::share_prefix_locked(Request *r) {
    const size_t limit = r->prompt.size() - 1;  // the last token is decoded for its logits
    const size_t worth = r->prefill_pos + kMinSharedTokens;
    Slot *donor = nullptr;
    size_t best = 0;
    for (Slot &slot : slots_) {
        if (&slot == r->slot) continue;
        size_t common = std::min(common_prefix(slot.tokens, r->prompt), limit);
        if (const PromptMedia *media = r->loop->media()) common = media->whole_prefix(common);
        if (common > best) best = common, donor = &slot;
    }
    if (donor && best >= worth) {
        // A copy between sequences (KV streams) copies the whole stream; the
        // copied cells keep their places, so the sequence continues exactly
        // as if it had decoded them itself.
        llama_memory_t mem = llama_get_memory(ctx_.get());
        llama_memory_seq_rm(mem, r->slot->seq, -1, -1);
        llama_memory_seq_cp(mem, donor->seq, r->slot->seq, -1, -1);
        llama_memory_seq_rm(mem, r->slot->seq, (llama_pos)best, -1);
        r->slot->tokens.assign(donor->tokens.begin(), donor->tokens.begin() + (long)best);
        prefilled(r, best - r->prefill_pos);
        r->loop->set_reused(best);
        return true;
    }
    for (Request *h : active_) {
        if (h == r) break;  // earlier requests only, so the first one never waits
        if (h->loop->cancelled() || h->prefill_pos >= h->prompt.size()) continue;
        const size_t common = std::min(common_prefix(h->prompt, r->prompt), limit);
        if (common >= worth && h->slot->tokens.size() < common) return false;
    }
    return true;
}

// Called with the lock held: the request leaves the active set for good.
void Scheduler::retire_locked(Request *r) {
    active_.erase(std::remove(active_.begin(), active_.end(), r), active_.end());
    if (r->slot) r->slot->busy = false;  // its tokens stay cached for the next request
    r->phase = Phase::Done;
    r->ready_cv.notify_all();
}

// Called with the lock held: this step's batch, in sequence order, with
// each entry's place in it.
std::vector<Scheduler::Entry> Scheduler::plan_step_locked(std::vector<Request *> &images) {
    const size_t n_batch = ctx_.n_batch();
    const size_t n_ctx_seq = ctx_.n_ctx_seq();
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
    // Decoding requests first: their last prompt token, or their chosen and forced tokens.
    for (Request *r : active_) {
        if (r->loop->cancelled() || r->phase != Phase::Decoding) continue;
        const bool last_prompt_token = r->prefill_pos < r->prompt.size();
        const size_t pending = last_prompt_token ? 1 : r->loop->pending().size();
        if (pending == 0) continue;
        // all but the last pending token now (no logits), the last one next step
        const size_t count = pending > 1 ? pending - 1 : 1;
        if (used + count + slots_.size() > n_batch) continue;  // next step
        entries.push_back({r, r->slot, 0, count, pending == 1});
        used += count;
    }
    // Then prompts, in chunks, in the room that is left.
    for (Request *r : active_) {
        if (r->loop->cancelled() || r->phase != Phase::Prefill || !share_prefix_locked(r)) continue;
        if (r->phase != Phase::Prefill) continue;  // a copied prefix may have left only the last token
        const PromptMedia *media = r->loop->media();
        const MediaRun *image = media ? media->next_run(r->prefill_pos) : nullptr;
        if (image && image->start == r->prefill_pos) {
            images.push_back(r);
            continue;
        }
        const size_t room = n_batch > used + slots_.size() ? n_batch - used - slots_.size() : 0;
        size_t count = std::min(room, r->prompt.size() - 1 - r->prefill_pos);
        if (image) count = std::min(count, image->start - r->prefill_pos);  // text up to the image
        if (count == 0) continue;
        entries.push_back({r, r->slot, 0, count, false});
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
    // A request that failed: its loop ends as Error, and its consumer gets the exception.
    auto fail = [](Request *r, std::exception_ptr error) {
        r->loop->fail();
        r->error = std::move(error);
    };
    for (;;) {
        for (Request *r : leaving_) {
            waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), r), waiting_.end());
            if (std::find(active_.begin(), active_.end(), r) != active_.end()) retire_locked(r);
            r->phase = Phase::Done;
            r->gone = true;
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
        run_slot_tasks_locked();
        if (stop_) {
            gone_cv_.notify_all();
            for (Request *r : waiting_) active_.push_back(r);
            waiting_.clear();
            for (Request *r : std::vector<Request *>(active_)) {
                fail(r, std::make_exception_ptr(std::runtime_error("the context was closed")));
                retire_locked(r);
            }
            return;
        }
        admit_locked();
        if (active_.empty()) {
            work_cv_.wait(lock);
            continue;
        }

        std::vector<Request *> cancelled;
        for (Request *r : active_)
            if (r->loop->cancelled()) cancelled.push_back(r);
        std::vector<Request *> images;
        const std::vector<Entry> entries = plan_step_locked(images);
        const size_t used = entries.empty() ? 0 : entries.back().first + entries.back().count;
        lock.unlock();

        std::vector<std::pair<Request *, Chunk>> produced_images;
        // Images first, each in batches of its own (an image's embeddings are not tokens).
        for (Request *r : images) {
            const PromptMedia &media = *r->loop->media();
            const MediaRun &run = *media.next_run(r->prefill_pos);
            std::vector<llama_token> &kv = r->slot->tokens;
            try {
                decode_media_run(run, *media.projector, ctx_.get(), r->slot->seq, (llama_pos)kv.size(),
                                 (int32_t)ctx_.n_batch());
                kv.insert(kv.end(), r->prompt.begin() + (long)run.start,
                          r->prompt.begin() + (long)(run.start + run.n_tokens));
                prefilled(r, run.n_tokens);
            } catch (...) {
                llama_memory_seq_rm(llama_get_memory(ctx_.get()), r->slot->seq, -1, -1);
                kv.clear();
                fail(r, std::current_exception());
                produced_images.emplace_back(r, Chunk{});
            }
        }

        // The step: only this thread touches the active requests' loops, slots and positions.
        std::vector<std::pair<Request *, Chunk>> produced = std::move(produced_images);
        for (Request *r : cancelled) {
            Chunk chunk;
            r->loop->finish(FinishReason::Cancelled, chunk);
            produced.emplace_back(r, std::move(chunk));
        }
        std::string failure;
        if (!entries.empty()) {
            batch.n_tokens = (int32_t)used;
            for (const Entry &e : entries) {
                Request *r = e.r;
                const Slot &slot = *e.slot;
                // (any token will do: it is removed after the decode; an image's placeholder ids are no tokens)
                const llama_token placeholder = slot.tokens.empty() || slot.tokens.back() < 0 ? 0 : slot.tokens.back();
                const llama_token *src = !r                                   ? &placeholder
                                         : r->prefill_pos < r->prompt.size() ? r->prompt.data() + r->prefill_pos
                                                                              : r->loop->pending().data();
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
                Request *r = e.r;
                if (!r) {  // the placeholder leaves no trace
                    llama_memory_seq_rm(llama_get_memory(ctx_.get()), e.slot->seq, (llama_pos)e.slot->tokens.size(), -1);
                    continue;
                }
                if (!failure.empty()) {
                    llama_memory_seq_rm(llama_get_memory(ctx_.get()), r->slot->seq, -1, -1);
                    r->slot->tokens.clear();
                    fail(r, std::make_exception_ptr(std::runtime_error(failure)));
                    produced.emplace_back(r, Chunk{});
                    continue;
                }
                std::vector<llama_token> &kv = r->slot->tokens;
                if (r->prefill_pos < r->prompt.size()) {
                    kv.insert(kv.end(), r->prompt.begin() + (long)r->prefill_pos,
                              r->prompt.begin() + (long)(r->prefill_pos + e.count));
                    prefilled(r, e.count);
                } else {
                    std::vector<llama_token> &pending = r->loop->pending();
                    kv.insert(kv.end(), pending.begin(), pending.begin() + (long)e.count);
                    pending.erase(pending.begin(), pending.begin() + (long)e.count);
                    r->loop->count_decode();
                }
                if (!e.sample) continue;
                Chunk chunk;
                try {
                    r->loop->sample_after_decode((int)(e.first + e.count - 1), kv.size(), chunk);
                } catch (...) {
                    fail(r, std::current_exception());
                }
                produced.emplace_back(r, std::move(chunk));
            }
        }

        lock.lock();
        for (auto &[r, chunk] : produced) {
            if (!r->error) r->ready.push_back(std::move(chunk));
            if (r->loop->done() || r->error) retire_locked(r);
            else r->ready_cv.notify_all();
        }
    }
}

}  // namespace llama_native
