// Continuous batching: one thread decodes every active sequence of a
// parallel context (n_seq_max > 1) in one llama_decode per step.
//
// Each Generator on such a context is a request: the scheduler gives it a
// free sequence slot (the one whose cached tokens share the longest prefix
// with its prompt, so repeated prompts reuse their KV state), decodes its
// prompt in chunks alongside the other sequences' next tokens, then lets it
// sample with its own sampler and grammar from its row of the logits.
// Requests join and leave between steps; each consumer reads its chunks from
// its own queue.  Python is touched only by a grammar's end check, which
// takes the GIL for its call.
#pragma once

#include <llama.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace llama_native {

class Context;
class Generator;

// A sequence of the KV cache and the tokens it holds.
struct Slot {
    llama_seq_id seq = 0;
    std::vector<llama_token> tokens;
    bool busy = false;
};

class Scheduler {
  public:
    explicit Scheduler(Context &ctx);
    ~Scheduler();  // finishes every request ("error") and joins the thread
    Scheduler(const Scheduler &) = delete;
    Scheduler &operator=(const Scheduler &) = delete;

    void submit(Generator *g);
    // Blocks (GIL released by the caller) until the scheduler holds no
    // reference to `g`; a running request ends as cancelled.
    void withdraw(Generator *g);

    // Forget what idle sequences hold (running requests keep theirs); done by
    // the scheduler thread between steps, this waits for it.
    void clear_idle();
    std::mutex &mutex() { return mutex_; }

  private:
    // One sequence's tokens in a step's batch.  `g` is null for a
    // placeholder: a token put in an idle sequence between two busy ones and
    // removed right after the decode (see plan_step_locked).
    struct Entry {
        Generator *g;
        Slot *slot;
        size_t first, count;  // its tokens in the batch
        bool sample;          // logits at its last token, to sample from
    };

    void run();
    std::vector<Entry> plan_step_locked();
    void admit_locked();
    Slot *choose_slot(const std::vector<llama_token> &prompt);
    void retire_locked(Generator *g);
    bool share_prefix_locked(Generator *g);

    // Shorter shared beginnings are decoded again rather than copied.
    static constexpr size_t kMinSharedTokens = 8;

    Context &ctx_;
    std::vector<Slot> slots_;
    std::mutex mutex_;
    std::condition_variable work_cv_;
    std::condition_variable gone_cv_;
    std::deque<Generator *> waiting_;
    std::vector<Generator *> active_;
    std::vector<Generator *> leaving_;
    bool stop_ = false;
    bool clear_requested_ = false;
    std::thread thread_;
};

}  // namespace llama_native
