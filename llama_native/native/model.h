// A loaded GGUF model: weights (or vocabulary only), metadata and tokenizer.
#pragma once

#include "common.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace llama_native {

class LlgVocab;
class Model;

// One GGUF metadata override: `kind` is 'i' (int), 'f' (float), 'b' (bool) or 's' (string).
struct KvOverride {
    std::string key;
    char kind = 'i';
    int64_t int_value = 0;
    double float_value = 0;
    std::string str_value;
};

struct ModelParams {
    int n_gpu_layers = 0;
    int split_mode = LLAMA_SPLIT_MODE_LAYER;
    int main_gpu = 0;
    std::vector<float> tensor_split;  // empty: llama.cpp's default split
    bool use_mmap = true;
    bool use_mlock = false;
    bool vocab_only = false;
    std::vector<KvOverride> kv_overrides;
    // ggml RPC servers ("host:port"): their devices take layers first, then local GPUs
    std::vector<std::string> rpc_servers;
    // ggml's extra CPU buffer types (weight repacking; AMX where built in): llama-server's --no-repack turns it off
    bool use_extra_bufts = true;
};

// Whether this build has ggml's RPC backend (GGML_RPC=ON).
bool rpc_supported();

// A LoRA adapter loaded for a model (freed with it or when this is destroyed).
class LoraAdapter {
  public:
    LoraAdapter(Model &model, const std::string &path);
    ~LoraAdapter();
    LoraAdapter(const LoraAdapter &) = delete;
    LoraAdapter &operator=(const LoraAdapter &) = delete;
    llama_adapter_lora *get() const { return adapter_; }
    const std::string &path() const { return path_; }

  private:
    std::string path_;
    llama_adapter_lora *adapter_ = nullptr;
};

class Model {
  public:
    // Loads with the GIL released.  `progress` is a Python callable
    // (float) -> bool|None or nullptr; returning False aborts the load.
    Model(const std::string &path, const ModelParams &params, void *progress);
    ~Model();
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;

    llama_model *get() const { return model_; }
    const llama_vocab *vocab() const { return vocab_; }
    const std::string &path() const { return path_; }
    // Whether layers were asked onto a GPU (n_gpu_layers != 0 in a build that can offload).
    bool offloaded() const { return offloaded_; }

    std::map<std::string, std::string> metadata() const;
    std::string chat_template(const std::string &name) const;  // "" if none
    std::string description() const;
    int n_ctx_train() const { return llama_model_n_ctx_train(model_); }
    int n_embd() const { return llama_model_n_embd(model_); }
    int n_layer() const { return llama_model_n_layer(model_); }
    int n_vocab() const { return llama_vocab_n_tokens(vocab_); }
    uint64_t size_bytes() const { return llama_model_size(model_); }
    uint64_t n_params() const { return llama_model_n_params(model_); }
    bool has_encoder() const { return llama_model_has_encoder(model_); }
    // Bytes of weights held in each buffer type ("CPU", "CPU_REPACK", "AMX", "CUDA0", ...).
    std::map<std::string, uint64_t> buffer_types() const;
    // Fill-in-the-middle tokens (-1 where the vocabulary has none).
    llama_token token_fim_pre() const { return llama_vocab_fim_pre(vocab_); }
    llama_token token_fim_suf() const { return llama_vocab_fim_suf(vocab_); }
    llama_token token_fim_mid() const { return llama_vocab_fim_mid(vocab_); }

    llama_token token_bos() const { return llama_vocab_bos(vocab_); }
    llama_token token_eos() const { return llama_vocab_eos(vocab_); }
    llama_token token_eot() const { return llama_vocab_eot(vocab_); }
    llama_token token_nl() const { return llama_vocab_nl(vocab_); }
    bool add_bos() const { return llama_vocab_get_add_bos(vocab_); }
    bool add_eos() const { return llama_vocab_get_add_eos(vocab_); }
    llama_token token_sep() const { return llama_vocab_sep(vocab_); }
    bool add_sep() const { return llama_vocab_get_add_sep(vocab_); }
    // Outputs of a classification head (a reranker's scores); 0 without one.
    uint32_t n_cls_out() const { return llama_model_n_cls_out(model_); }
    bool is_eog(llama_token t) const { return llama_vocab_is_eog(vocab_, t); }
    bool is_control(llama_token t) const { return llama_vocab_is_control(vocab_, t); }
    const std::vector<llama_token> &eog_tokens() const { return eog_; }  // ascending

    std::vector<llama_token> tokenize(const std::string &text, bool add_special, bool parse_special) const;
    std::string token_to_piece(llama_token token, bool special) const;
    std::string detokenize(const std::vector<llama_token> &tokens, bool special) const;
    std::string token_text(llama_token token) const;  // raw vocabulary entry
    void check_token(llama_token token) const;        // throws std::out_of_range
    // The vocabulary as llguidance sees it, built on first use (needs llg_load).
    const LlgVocab &llg_vocab() const;

  private:
    std::string path_;
    bool offloaded_ = false;
    llama_model *model_ = nullptr;
    const llama_vocab *vocab_ = nullptr;
    std::vector<llama_token> eog_;
    mutable std::mutex llg_mutex_;
    mutable std::unique_ptr<LlgVocab> llg_vocab_;
};

}  // namespace llama_native
