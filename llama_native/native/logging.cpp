// Bridge from llama.cpp's C log callback to Python `logging`, plus a
// per-thread capture used to put llama.cpp's own error text into exceptions.
#include "common.h"

#include <nanobind/nanobind.h>

#include <atomic>
#include <mutex>

namespace nb = nanobind;

namespace llama_native {
namespace {

std::atomic<int> g_min_level{GGML_LOG_LEVEL_ERROR + 1};  // silent until Python asks
std::mutex g_sink_mutex;
PyObject *g_sink = nullptr;

thread_local std::string tl_line;
thread_local int tl_level = GGML_LOG_LEVEL_INFO;
thread_local std::vector<std::string> *tl_capture = nullptr;

bool interpreter_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

void emit_line(int level, std::string line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.empty()) return;
    if (tl_capture && level >= GGML_LOG_LEVEL_WARN) tl_capture->push_back(line);
    if (level < g_min_level.load(std::memory_order_relaxed)) return;
    if (!Py_IsInitialized() || interpreter_finalizing()) return;
    PyObject *sink;
    {
        std::lock_guard<std::mutex> lock(g_sink_mutex);
        sink = g_sink;
        if (!sink) return;
    }
    PyGILState_STATE state = PyGILState_Ensure();
    Py_INCREF(sink);
    PyObject *py_level = PyLong_FromLong(level);
    PyObject *py_text = PyUnicode_DecodeUTF8(line.data(), (Py_ssize_t)line.size(), "replace");
    PyObject *result = nullptr;
    if (py_level && py_text) result = PyObject_CallFunctionObjArgs(sink, py_level, py_text, nullptr);
    if (!result) PyErr_Clear();  // a failing log handler must never break inference
    Py_XDECREF(result);
    Py_XDECREF(py_level);
    Py_XDECREF(py_text);
    Py_DECREF(sink);
    PyGILState_Release(state);
}

void log_callback(ggml_log_level level, const char *text, void *) {
    if (!text) return;
    if (level != GGML_LOG_LEVEL_CONT) {
        if (!tl_line.empty()) {
            emit_line(tl_level, tl_line);
            tl_line.clear();
        }
        tl_level = level;
    }
    tl_line += text;
    if (!tl_line.empty() && tl_line.back() == '\n') {
        emit_line(tl_level, tl_line);
        tl_line.clear();
    }
}

}  // namespace

void install_log_bridge() { llama_log_set(log_callback, nullptr); }

ggml_log_callback log_bridge() { return log_callback; }

void set_log_sink(void *py_callable) {
    PyObject *callable = static_cast<PyObject *>(py_callable);
    Py_XINCREF(callable);
    PyObject *old;
    {
        std::lock_guard<std::mutex> lock(g_sink_mutex);
        old = g_sink;
        g_sink = callable;
    }
    Py_XDECREF(old);
}

void set_log_level(int min_level) { g_min_level.store(min_level); }

LogCapture::LogCapture() : previous_(tl_capture) { tl_capture = &lines_; }
LogCapture::~LogCapture() { tl_capture = previous_; }

std::string LogCapture::text() const {
    std::string out;
    for (const auto &line : lines_) {
        if (!out.empty()) out += "; ";
        out += line;
    }
    return out;
}

void check_python_signals() {
    nb::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw nb::python_error();
}

}  // namespace llama_native
