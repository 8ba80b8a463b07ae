// Continuous batching: one thread decodes every active request of a
// parallel context (n_seq_max > 1) in one llama_decode per step.
//
// Each TokenLoop on such a context submits a Request: the scheduler gives it
// a free sequence slot (the one whose cached tokens share the longest prefix
// with its prompt, so repeated prompts reuse their KV state), decodes its
// prompt in chunks alongside the other requests' next tokens, then lets its
// token loop sample with its own sampler and grammar from its row of the
// logits.  Requests join and leave between steps; each consumer reads its
// chunks from its request's queue.  Python is touched only by a grammar's end
// check, which takes the GIL for its call.
#pragma once

#include "generation_types.h"

#include <llama.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace llama_native {

class Context;
class TokenLoop;

// A sequence of the KV cache and the tokens it holds.
struct Slot {
    llama_seq_id seq = 0;
    std::vector<llama_token> tokens;
    bool busy = false;
};

// Where a request stands, as llama.cpp's server models its slots.
enum class Phase {
    Waiting,   // submitted, no slot yet
    Prefill,   // decoding its prompt in chunks (all but the last token)
    Decoding,  // feeding its last prompt token, then its chosen and forced tokens, and sampling
    Done,      // retired: no more chunks; the consumer may read `error`
};

// One request on a parallel context, owned by the scheduler from submit()
// until withdraw() returns.  Who may touch what:
// - `loop`, `prompt`: fixed at submit.
// - `slot`, `prefill_pos`: the scheduler thread only.  It writes them under
//   the mutex while the request waits or is admitted, and during a step (with
//   the mutex released) while the request is active.  No other thread reads them.
// - `phase`: written by the scheduler thread only, during a step too (Prefill
//   to Decoding); the consumer reads it under the mutex to see Done, which the
//   scheduler sets under the mutex.  Atomic, as it is read while a step runs.
// - `ready`, `ready_cv`, `gone`: under the mutex, both threads.
// - `error`: written by the scheduler thread before `phase` becomes Done; the
//   consumer reads it only after seeing Done.
struct Request {
    Request(TokenLoop *loop_, std::vector<llama_token> prompt_, int want_slot_)
        : loop(loop_), prompt(std::move(prompt_)), want_slot(want_slot_) {}

    TokenLoop *const loop;
    const std::vector<llama_token> prompt;
    const int want_slot;  // the slot it must run in (< 0: any)
    std::atomic<Phase> phase{Phase::Waiting};
    Slot *slot = nullptr;
    size_t prefill_pos = 0;  // prompt tokens in the slot's KV cache
    std::deque<Chunk> ready;  // chunks for the consumer, in order
    std::condition_variable ready_cv;
    std::exception_ptr error;
    bool gone = false;  // the scheduler holds no reference any more (withdraw may free it)
};

class Scheduler {
  public:
    explicit Scheduler(Context &ctx);
    ~Scheduler();  // fails every request (FinishReason::Error) and joins the thread
    Scheduler(const Scheduler &) = delete;
    Scheduler &operator=(const Scheduler &) = delete;

    // A new request for `loop` (the scheduler owns it until withdraw()).
    // `id_slot` >= 0: the request runs in that slot (modulo the slots) once it is free.
    Request *submit(TokenLoop *loop, std::vector<llama_token> prompt, int id_slot = -1);
    // Blocks (GIL released by the caller) until the scheduler holds no
    // reference to `r`, then frees it; a running request ends as cancelled.
    void withdraw(Request *r);

    // Forget what idle sequences hold (running requests keep theirs); done by
    // the scheduler thread between steps, this waits for it.
    void clear_idle();
    std::mutex &mutex() { return mutex_; }

    // One slot's KV cache, as llama-server's slot save/restore/erase.  Each
    // runs on the scheduler thread between two steps, once the slot is idle
    // (a request running in it finishes first; new requests do not take a
    // slot with an action pending), so requests in the other slots go on.
    // These block the caller (GIL released by it) until done; they throw
    // std::invalid_argument for a bad slot or state.
    // save_slot: (llama.cpp's sequence state, the tokens it holds).
    std::pair<std::string, std::vector<llama_token>> save_slot(int slot);
    // restore_slot: replaces what the slot holds; on failure the slot is left empty.
    void restore_slot(int slot, const std::string &data, const std::vector<llama_token> &tokens);
    // erase_slot: empties the slot; returns how many tokens it held.
    size_t erase_slot(int slot);
    size_t n_slots() const { return slots_.size(); }

  private:
    // One sequence's tokens in a step's batch.  `r` is null for a
    // placeholder: a token put in an idle sequence between two busy ones and
    // removed right after the decode (see plan_step_locked).
    struct Entry {
        Request *r;
        Slot *slot;
        size_t first, count;  // its tokens in the batch
        bool sample;          // logits at its last token, to sample from
    };

    // A slot action waiting for its slot to be idle.
    struct SlotTask {
        enum class Kind { Save, Restore, Erase } kind;
        size_t slot;
        std::string data;  // save: out; restore: in
        std::vector<llama_token> tokens;  // likewise
        size_t n_erased = 0;
        std::exception_ptr error;
        bool done = false;
    };

    void run();
    void slot_task(SlotTask &task);  // queue it and wait for the scheduler thread
    void run_slot_tasks_locked();
    void run_slot_task(SlotTask &task);
    bool slot_reserved_locked(const Slot &slot) const;
    // This step's batch; `images`: requests whose prompt is at an image now,
    // decoded on their own before the batch.
    std::vector<Entry> plan_step_locked(std::vector<Request *> &images);
    void admit_locked();
    Slot *choose_slot(const Request &r);
    void retire_locked(Request *r);
    bool share_prefix_locked(Request *r);
    void prefilled(Request *r, size_t count);

    // Shorter shared beginnings are decoded again rather than copied.
    static constexpr size_t kMinSharedTokens = 8;

    Context &ctx_;
    std::vector<Slot> slots_;
    std::mutex mutex_;
    std::condition_variable work_cv_;
    std::condition_variable gone_cv_;
    std::vector<std::unique_ptr<Request>> requests_;  // every request not yet withdrawn
    std::deque<Request *> waiting_;
    std::vector<Request *> active_;
    std::vector<Request *> leaving_;
    std::deque<SlotTask *> slot_tasks_;
    bool stop_ = false;
    bool clear_requested_ = false;
    std::thread thread_;
};

}  // namespace llama_native
