// Shared declarations for the llama_native extension: logging bridge and
// error capture.  Each concept lives in its own file (model, context,
// sampling, generation); this header holds only what they all need.
#pragma once

#include <llama.h>
#include <nanobind/nanobind.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace llama_native {

// Route llama.cpp / ggml log lines to a Python callable (level, text).
// Lines below `min_level` are dropped without touching the GIL.
void install_log_bridge();
// The callback behind it, for libraries with a log hook of their own (libmtmd).
ggml_log_callback log_bridge();
void set_log_sink(void *py_callable);  // PyObject* (new reference taken), or nullptr
void set_log_level(int min_level);

// While alive on a thread, warnings and errors that llama.cpp logs on this
// thread are collected, so a failure can be explained in the exception.
class LogCapture {
  public:
    LogCapture();
    ~LogCapture();
    LogCapture(const LogCapture &) = delete;
    LogCapture &operator=(const LogCapture &) = delete;
    // The captured lines joined with "; " (empty if none).
    std::string text() const;

  private:
    std::vector<std::string> lines_;
    std::vector<std::string> *previous_;
};

// Raise Python's KeyboardInterrupt (or whatever a signal handler raised)
// if a signal arrived.  Call with the GIL released; returns normally otherwise.
void check_python_signals();

// Call `f` with the GIL released when this thread holds it (code that waits
// for another thread must never hold it), as is when it does not.
template <typename F>
decltype(auto) without_gil(F &&f) {
    if (!PyGILState_Check()) return f();
    nanobind::gil_scoped_release release;
    return f();
}

}  // namespace llama_native
