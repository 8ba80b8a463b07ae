// Wall-clock timing of a generation's phases, read as llama-server's
// `timings` (see TokenLoop::timings): a few clock reads per phase, and two per
// sampled token only while a grammar is on.
#pragma once

#include <chrono>
#include <cstdint>

namespace llama_native {

using Clock = std::chrono::steady_clock;

inline double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// Adds the time its scope took to a nanosecond counter.
class ScopedTimer {
  public:
    explicit ScopedTimer(int64_t &sink_ns) : sink_(sink_ns), start_(Clock::now()) {}
    ~ScopedTimer() { sink_ += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count(); }
    ScopedTimer(const ScopedTimer &) = delete;
    ScopedTimer &operator=(const ScopedTimer &) = delete;

  private:
    int64_t &sink_;
    Clock::time_point start_;
};

// The moments a generation passes through: created (the constructor), the
// prompt's evaluation starting (the lease taken, or the scheduler's
// admission) and ending, the first token chosen, and the end.  A moment not
// reached yet reads as "now".
struct PhaseClock {
    Clock::time_point created = Clock::now(), prompt_start, prompt_end, first_token, end;
    bool started = false, prompt_done = false, has_first = false, ended = false;

    void start() {
        if (!started) prompt_start = Clock::now(), started = true;
    }
    void prompt_evaluated() {
        start();
        if (!prompt_done) prompt_end = Clock::now(), prompt_done = true;
    }
    void token() {
        if (!has_first) prompt_evaluated(), first_token = Clock::now(), has_first = true;
    }
    void finish() {
        prompt_evaluated();
        if (!ended) end = Clock::now(), ended = true;
    }
    Clock::time_point at(bool reached, Clock::time_point t) const { return reached ? t : Clock::now(); }
    // Waiting for the context (its lease, or a scheduler's slot).
    double queue_ms() const { return ms_between(created, at(started, prompt_start)); }
    // Evaluating the prompt (the tokens not reused from the KV cache).
    double prompt_ms() const { return ms_between(at(started, prompt_start), at(prompt_done, prompt_end)); }
    // From the prompt's end to the last token.
    double predicted_ms() const { return ms_between(at(prompt_done, prompt_end), at(ended, end)); }
    // From the constructor to the first token chosen.
    double first_token_ms() const { return ms_between(created, at(has_first, first_token)); }
};

}  // namespace llama_native
