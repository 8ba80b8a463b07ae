// Model loading (GIL released, progress callback into Python), metadata and
// tokenizer access over llama.cpp's C API.
#include "model.h"

#include "llguidance.h"

#include <gguf.h>
#include <llama-model.h>

#include <nanobind/nanobind.h>

#include <mutex>
#include <stdexcept>

namespace nb = nanobind;

namespace llama_native {
namespace {

std::once_flag g_backend_once;

struct ProgressState {
    PyObject *callable = nullptr;
    bool raised = false;
    nb::python_error *error = nullptr;
};

bool progress_trampoline(float progress, void *user_data) {
    auto *state = static_cast<ProgressState *>(user_data);
    nb::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
        state->raised = true;
        state->error = new nb::python_error();
        return false;
    }
    if (!state->callable) return true;
    PyObject *result = PyObject_CallFunction(state->callable, "d", (double)progress);
    if (!result) {
        state->raised = true;
        state->error = new nb::python_error();
        return false;
    }
    bool keep_going = result != Py_False;
    Py_DECREF(result);
    return keep_going;
}

}  // namespace

bool rpc_supported() { return ggml_backend_reg_by_name("RPC") != nullptr; }

namespace {

// The devices a model with these RPC servers loads onto: each server's devices in the order
// given (as llama.cpp puts RPC devices first, to minimize transfers), then the local GPUs.
// The servers' devices are not registered globally, so models loaded without them never use
// them.  Empty: llama.cpp's default selection.  The caller has probed each server (Python:
// llama_native.runtime.rpc), since ggml's RPC client aborts the process on one it cannot reach.
std::vector<ggml_backend_dev_t> model_devices(const std::vector<std::string> &servers) {
    std::vector<ggml_backend_dev_t> devices;
    if (servers.empty()) return devices;
    ggml_backend_reg_t rpc = ggml_backend_reg_by_name("RPC");
    if (!rpc) throw std::invalid_argument("rpc_servers: this build has no ggml RPC backend (build with -DGGML_RPC=ON)");
    using add_server_fn = ggml_backend_reg_t (*)(const char *);
    auto add_server = reinterpret_cast<add_server_fn>(ggml_backend_reg_get_proc_address(rpc, "ggml_backend_rpc_add_server"));
    if (!add_server) throw std::runtime_error("rpc_servers: ggml's RPC backend lacks ggml_backend_rpc_add_server");
    for (const std::string &endpoint : servers) {
        ggml_backend_reg_t reg;
        {
            nb::gil_scoped_release release;
            reg = add_server(endpoint.c_str());
        }
        if (!reg || ggml_backend_reg_dev_count(reg) == 0)
            throw std::runtime_error("RPC server " + endpoint + " reports no devices");
        for (size_t i = 0; i < ggml_backend_reg_dev_count(reg); ++i) devices.push_back(ggml_backend_reg_dev_get(reg, i));
    }
    for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        const auto type = ggml_backend_dev_type(dev);
        if (type == GGML_BACKEND_DEVICE_TYPE_GPU || type == GGML_BACKEND_DEVICE_TYPE_IGPU) devices.push_back(dev);
    }
    devices.push_back(nullptr);  // the list ends with NULL
    return devices;
}

}  // namespace

Model::Model(const std::string &path, const ModelParams &params, void *progress) : path_(path) {
    std::call_once(g_backend_once, [] { llama_backend_init(); });

    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = params.n_gpu_layers;
    offloaded_ = params.n_gpu_layers != 0 && llama_supports_gpu_offload();
    if (params.use_mmap && params.use_mlock) mp.load_mode = LLAMA_LOAD_MODE_MMAP_MLOCK;
    else if (params.use_mmap) mp.load_mode = LLAMA_LOAD_MODE_MMAP;
    else if (params.use_mlock) mp.load_mode = LLAMA_LOAD_MODE_MLOCK;
    else mp.load_mode = LLAMA_LOAD_MODE_NONE;
    mp.vocab_only = params.vocab_only;
    mp.split_mode = static_cast<llama_split_mode>(params.split_mode);
    mp.main_gpu = params.main_gpu;
    mp.use_extra_bufts = params.use_extra_bufts;
    std::vector<float> split(llama_max_devices(), 0.0f);
    if (!params.tensor_split.empty()) {
        if (params.tensor_split.size() > split.size())
            throw std::invalid_argument("tensor_split has " + std::to_string(params.tensor_split.size()) +
                                        " entries; this build supports at most " + std::to_string(split.size()) +
                                        " devices");
        std::copy(params.tensor_split.begin(), params.tensor_split.end(), split.begin());
        mp.tensor_split = split.data();
    }
    std::vector<llama_model_kv_override> overrides;
    for (const KvOverride &o : params.kv_overrides) {
        llama_model_kv_override kv{};
        if (o.key.size() >= sizeof(kv.key))
            throw std::invalid_argument("kv_overrides key '" + o.key + "' is longer than " +
                                        std::to_string(sizeof(kv.key) - 1) + " bytes");
        std::copy(o.key.begin(), o.key.end(), kv.key);
        switch (o.kind) {
            case 'i': kv.tag = LLAMA_KV_OVERRIDE_TYPE_INT; kv.val_i64 = o.int_value; break;
            case 'f': kv.tag = LLAMA_KV_OVERRIDE_TYPE_FLOAT; kv.val_f64 = o.float_value; break;
            case 'b': kv.tag = LLAMA_KV_OVERRIDE_TYPE_BOOL; kv.val_bool = o.int_value != 0; break;
            case 's':
                if (o.str_value.size() >= sizeof(kv.val_str))
                    throw std::invalid_argument("kv_overrides value for '" + o.key + "' is longer than " +
                                                std::to_string(sizeof(kv.val_str) - 1) + " bytes");
                kv.tag = LLAMA_KV_OVERRIDE_TYPE_STR;
                std::copy(o.str_value.begin(), o.str_value.end(), kv.val_str);
                break;
            default: throw std::invalid_argument("kv_overrides: unknown value kind");
        }
        overrides.push_back(kv);
    }
    if (!overrides.empty()) {
        overrides.push_back(llama_model_kv_override{});  // key[0] == 0 ends the list
        mp.kv_overrides = overrides.data();
    }

    std::vector<ggml_backend_dev_t> devices = model_devices(params.rpc_servers);
    if (!devices.empty()) mp.devices = devices.data();

    ProgressState state;
    state.callable = static_cast<PyObject *>(progress);
    mp.progress_callback = progress_trampoline;
    mp.progress_callback_user_data = &state;

    LogCapture capture;
    {
        nb::gil_scoped_release release;
        model_ = llama_model_load_from_file(path.c_str(), mp);
    }
    if (state.raised) {
        if (model_) llama_model_free(model_);
        model_ = nullptr;
        nb::python_error err = std::move(*state.error);
        delete state.error;
        throw err;
    }
    if (!model_) {
        std::string reason = capture.text();
        if (reason.empty()) reason = "llama.cpp could not load it";
        throw std::runtime_error("failed to load model from '" + path + "': " + reason);
    }
    vocab_ = llama_model_get_vocab(model_);
    const int n = n_vocab();
    for (llama_token t = 0; t < n; ++t)
        if (llama_vocab_is_eog(vocab_, t)) eog_.push_back(t);
}

std::map<std::string, uint64_t> Model::buffer_types() const {
    std::map<std::string, uint64_t> sizes;
    for (const auto &[buft, size] : model_->memory_breakdown()) sizes[ggml_backend_buft_name(buft)] += size;
    return sizes;
}

namespace {

// llama.cpp multiplies adapter tensors without checking their types; one it
// cannot multiply (F64, integers) would crash the decode, so refuse it here.
void check_lora_tensor_types(const std::string &path) {
    gguf_init_params params = {/*no_alloc=*/true, /*ctx=*/nullptr};
    gguf_context *gguf = gguf_init_from_file(path.c_str(), params);
    if (!gguf) throw std::invalid_argument("failed to load LoRA adapter '" + path + "': not a readable GGUF file");
    std::string bad;
    for (int64_t i = 0; i < gguf_get_n_tensors(gguf) && bad.empty(); ++i) {
        const ggml_type type = gguf_get_tensor_type(gguf, i);
        const bool usable = type != GGML_TYPE_F64 && type != GGML_TYPE_I8 && type != GGML_TYPE_I16 &&
                            type != GGML_TYPE_I32 && type != GGML_TYPE_I64;
        if (!usable) bad = std::string(gguf_get_tensor_name(gguf, i)) + " is " + ggml_type_name(type);
    }
    gguf_free(gguf);
    if (!bad.empty())
        throw std::invalid_argument("failed to load LoRA adapter '" + path + "': tensor " + bad +
                                    "; adapter tensors must be F32, F16, BF16 or quantized");
}

}  // namespace

LoraAdapter::LoraAdapter(Model &model, const std::string &path) : path_(path) {
    check_lora_tensor_types(path);
    LogCapture capture;
    adapter_ = without_gil([&] { return llama_adapter_lora_init(model.get(), path.c_str()); });
    if (!adapter_) {
        std::string reason = capture.text();
        throw std::invalid_argument("failed to load LoRA adapter '" + path + "'" + (reason.empty() ? "" : ": " + reason));
    }
}

LoraAdapter::~LoraAdapter() {
    if (adapter_) llama_adapter_lora_free(adapter_);
}

Model::~Model() {
    llg_vocab_.reset();
    if (model_) llama_model_free(model_);
}

const LlgVocab &Model::llg_vocab() const {
    // building takes a while: never wait for the lock holding the GIL
    return without_gil([this]() -> const LlgVocab & {
        std::lock_guard<std::mutex> lock(llg_mutex_);
        if (!llg_vocab_) llg_vocab_ = std::make_unique<LlgVocab>(vocab_, eog_tokens());
        return *llg_vocab_;
    });
}

std::map<std::string, std::string> Model::metadata() const {
    std::map<std::string, std::string> out;
    const int n = llama_model_meta_count(model_);
    std::vector<char> key(512), val(4096);
    for (int i = 0; i < n; ++i) {
        int kl = llama_model_meta_key_by_index(model_, i, key.data(), key.size());
        if (kl < 0) continue;
        if ((size_t)kl >= key.size()) {
            key.resize(kl + 1);
            llama_model_meta_key_by_index(model_, i, key.data(), key.size());
        }
        int vl = llama_model_meta_val_str_by_index(model_, i, val.data(), val.size());
        if (vl < 0) continue;
        if ((size_t)vl >= val.size()) {
            val.resize(vl + 1);
            llama_model_meta_val_str_by_index(model_, i, val.data(), val.size());
        }
        out.emplace(std::string(key.data()), std::string(val.data(), vl));
    }
    return out;
}

std::string Model::chat_template(const std::string &name) const {
    const char *tmpl = llama_model_chat_template(model_, name.empty() ? nullptr : name.c_str());
    return tmpl ? std::string(tmpl) : std::string();
}

std::string Model::description() const {
    char buf[256];
    int n = llama_model_desc(model_, buf, sizeof(buf));
    return n > 0 ? std::string(buf, std::min<int>(n, sizeof(buf) - 1)) : std::string();
}

void Model::check_token(llama_token token) const {
    if (token < 0 || token >= n_vocab())
        throw std::out_of_range("token id " + std::to_string(token) + " is outside the vocabulary (0.." +
                                std::to_string(n_vocab() - 1) + ")");
}

std::vector<llama_token> Model::tokenize(const std::string &text, bool add_special, bool parse_special) const {
    std::vector<llama_token> tokens(text.size() + 2 * add_special + 1);
    int n = llama_tokenize(vocab_, text.data(), (int32_t)text.size(), tokens.data(), (int32_t)tokens.size(),
                           add_special, parse_special);
    if (n < 0) {
        if (n == std::numeric_limits<int32_t>::min()) throw std::overflow_error("text is too long to tokenize");
        tokens.resize(-n);
        n = llama_tokenize(vocab_, text.data(), (int32_t)text.size(), tokens.data(), (int32_t)tokens.size(),
                           add_special, parse_special);
        if (n < 0) throw std::runtime_error("tokenization failed");
    }
    tokens.resize(n);
    return tokens;
}

std::string Model::token_to_piece(llama_token token, bool special) const {
    check_token(token);
    char buf[128];
    int n = llama_token_to_piece(vocab_, token, buf, sizeof(buf), 0, special);
    if (n >= 0) return std::string(buf, n);
    std::string out(-n, '\0');
    n = llama_token_to_piece(vocab_, token, out.data(), (int32_t)out.size(), 0, special);
    if (n < 0) throw std::runtime_error("token_to_piece failed");
    out.resize(n);
    return out;
}

std::string Model::detokenize(const std::vector<llama_token> &tokens, bool special) const {
    std::string out;
    for (llama_token t : tokens) out += token_to_piece(t, special);
    return out;
}

std::string Model::token_text(llama_token token) const {
    check_token(token);
    const char *text = llama_vocab_get_text(vocab_, token);
    return text ? std::string(text) : std::string();
}

}  // namespace llama_native
