// Bindings of the plain parameter structs (model.h, context.h, sampling.h,
// generation.h): each field as a read-write property with its docstring.
#include "bindings.h"
#include "context.h"
#include "generation.h"
#include "model.h"
#include "sampling.h"

#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <initializer_list>

namespace nb = nanobind;
using namespace nb::literals;

namespace llama_native {

void register_params(nb::module_ &m) {
    nb::class_<ModelParams>(m, "ModelParams", "How a model is loaded (llama.cpp's llama_model_params).")
        .def(nb::init<>(), "Default parameters: no GPU layers, mmap on, layers split across GPUs.")
        .def_rw("n_gpu_layers", &ModelParams::n_gpu_layers, "Layers offloaded to the GPU (-1: all).")
        .def_rw("use_mmap", &ModelParams::use_mmap, "Map the file instead of reading it.")
        .def_rw("use_mlock", &ModelParams::use_mlock, "Lock the weights in RAM.")
        .def_rw("vocab_only", &ModelParams::vocab_only, "Load the vocabulary and metadata only, no weights.")
        .def_rw("split_mode", &ModelParams::split_mode, "How layers are split across GPUs (LLAMA_SPLIT_MODE_*).")
        .def_rw("main_gpu", &ModelParams::main_gpu, "The GPU that holds the model when split_mode is LLAMA_SPLIT_MODE_NONE.")
        .def_rw("tensor_split", &ModelParams::tensor_split,
                "Share of the model per GPU (empty: llama.cpp's default split).")
        .def_rw("kv_overrides", &ModelParams::kv_overrides, "GGUF metadata values replaced at load.")
        .def_rw("rpc_servers", &ModelParams::rpc_servers,
                "ggml RPC servers ('host:port'); their devices take layers first, then local GPUs.")
        .def_rw("use_extra_bufts", &ModelParams::use_extra_bufts,
                "ggml's extra CPU buffer types (weight repacking, AMX where built in).");

    const std::string kv_kind = literal_type(std::initializer_list<const char *>{"i", "f", "b", "s"});
    nb::class_<KvOverride>(m, "KvOverride", "One GGUF metadata value replaced at load (ModelParams.kv_overrides).")
        .def(nb::init<>(), "An integer override of an empty key.")
        .def_rw("key", &KvOverride::key, "The metadata key.")
        .def_rw("kind", &KvOverride::kind,
                nb::for_getter(nb::sig(("def kind(self, /) -> " + kv_kind).c_str())),
                nb::for_setter(nb::sig(("def kind(self, arg: " + kv_kind + ", /) -> None").c_str())),
                "The value's type: 'i' int_value, 'f' float_value, 'b' int_value as a bool, 's' str_value "
                "(another raises ValueError when the model loads).")
        .def_rw("int_value", &KvOverride::int_value, "The value of an 'i' or 'b' override.")
        .def_rw("float_value", &KvOverride::float_value, "The value of an 'f' override.")
        .def_rw("str_value", &KvOverride::str_value, "The value of an 's' override (at most 127 bytes).");

    nb::class_<ContextParams>(m, "ContextParams", "How a context is created (llama.cpp's llama_context_params).")
        .def(nb::init<>(), "Parameters with this package's defaults (n_ctx 512, 4 threads).")
        .def_rw("n_ctx", &ContextParams::n_ctx, "KV cache size in tokens, all sequences together (0: the model's).")
        .def_rw("n_batch", &ContextParams::n_batch, "Most tokens per llama_decode call.")
        .def_rw("n_ubatch", &ContextParams::n_ubatch, "Most tokens per physical batch.")
        .def_rw("n_threads", &ContextParams::n_threads, "Threads for generation.")
        .def_rw("n_threads_batch", &ContextParams::n_threads_batch, "Threads for prompt and batch processing.")
        .def_rw("embeddings", &ContextParams::embeddings, "An embedding context (Context.embed) instead of generation.")
        .def_rw("flash_attn", &ContextParams::flash_attn, "Flash attention: -1 llama.cpp's auto, 0 off, 1 on.")
        .def_rw("n_seq_max", &ContextParams::n_seq_max,
                "Sequences served at once (> 1: a parallel context with continuous batching).")
        .def_rw("rope_scaling_type", &ContextParams::rope_scaling_type, "LLAMA_ROPE_SCALING_TYPE_* (-1: the model's).")
        .def_rw("pooling_type", &ContextParams::pooling_type, "LLAMA_POOLING_TYPE_* for embeddings (-1: the model's).")
        .def_rw("attention_type", &ContextParams::attention_type, "LLAMA_ATTENTION_TYPE_* (-1: the model's).")
        .def_rw("rope_freq_base", &ContextParams::rope_freq_base, "RoPE base frequency (0: the model's).")
        .def_rw("rope_freq_scale", &ContextParams::rope_freq_scale, "RoPE frequency scaling factor (0: the model's).")
        .def_rw("yarn_ext_factor", &ContextParams::yarn_ext_factor, "YaRN extrapolation mix factor (< 0: the model's).")
        .def_rw("yarn_attn_factor", &ContextParams::yarn_attn_factor, "YaRN magnitude scaling factor (< 0: default).")
        .def_rw("yarn_beta_fast", &ContextParams::yarn_beta_fast, "YaRN low correction dimension (< 0: default).")
        .def_rw("yarn_beta_slow", &ContextParams::yarn_beta_slow, "YaRN high correction dimension (< 0: default).")
        .def_rw("yarn_orig_ctx", &ContextParams::yarn_orig_ctx, "YaRN original context size (0: the model's).")
        .def_rw("type_k", &ContextParams::type_k, "The K cache's data type (GGML_TYPE_*).")
        .def_rw("type_v", &ContextParams::type_v, "The V cache's data type (GGML_TYPE_*).")
        .def_rw("offload_kqv", &ContextParams::offload_kqv, "Keep the KV cache and attention on the GPU.")
        .def_rw("op_offload", &ContextParams::op_offload, "Offload host tensor operations to the device.")
        .def_rw("swa_full", &ContextParams::swa_full, "A full-size cache for sliding-window attention layers.")
        .def_rw("no_perf", &ContextParams::no_perf, "llama.cpp's performance counters off.");

    nb::enum_<GrammarEngineKind>(m, "GrammarEngineKind",
                                 "The grammar engine a sampler runs (SamplingParams.engine), chosen once in Python.")
        .value("none", GrammarEngineKind::none, "No grammar: the output is unconstrained.")
        .value("gbnf", GrammarEngineKind::gbnf, "llama.cpp's GBNF engine on SamplingParams.grammar.")
        .value("llguidance", GrammarEngineKind::llguidance, "llguidance on SamplingParams.llg_kind and llg_data.");

    const std::string llg_kind = literal_type(kLlgKinds);
    nb::class_<SamplingParams>(m, "SamplingParams", "How each token is chosen: the sampler chain and the grammar.")
        .def(nb::init<>(), "Parameters with llama.cpp's sampling defaults and no grammar.")
        .def_rw("temperature", &SamplingParams::temperature, "Softmax temperature (<= 0: greedy).")
        .def_rw("top_k", &SamplingParams::top_k, "Keep the k most likely tokens (<= 0: all).")
        .def_rw("top_p", &SamplingParams::top_p, "Nucleus sampling: the smallest set with this probability mass.")
        .def_rw("min_p", &SamplingParams::min_p, "Drop tokens less likely than min_p times the most likely one.")
        .def_rw("typical_p", &SamplingParams::typical_p, "Locally typical sampling mass (1: off).")
        .def_rw("repeat_penalty", &SamplingParams::repeat_penalty, "Penalty on recent tokens (1: off).")
        .def_rw("presence_penalty", &SamplingParams::presence_penalty, "Penalty on tokens present in the window.")
        .def_rw("frequency_penalty", &SamplingParams::frequency_penalty, "Penalty per occurrence in the window.")
        .def_rw("penalty_last_n", &SamplingParams::penalty_last_n, "The penalties' window in the last tokens (0: penalties off).")
        .def_rw("seed", &SamplingParams::seed, "The sampler's seed (LLAMA_DEFAULT_SEED: random).")
        .def_rw("logit_bias", &SamplingParams::logit_bias, "(token, bias) pairs added to the logits.")
        .def_rw("engine", &SamplingParams::engine,
                "The grammar engine (request.structure.choose_engine decides); a grammar without one raises.")
        .def_rw("grammar", &SamplingParams::grammar, "The GBNF grammar, for GrammarEngineKind.gbnf.")
        .def_rw("grammar_root", &SamplingParams::grammar_root, "The grammar's start rule.")
        .def_rw("grammar_lazy", &SamplingParams::grammar_lazy,
                "Unconstrained until a trigger pattern or token appears, then the grammar applies.")
        .def_rw("grammar_trigger_patterns", &SamplingParams::grammar_trigger_patterns,
                "Regexes that start a lazy grammar (the first capture group, or the match, is parsed).")
        .def_rw("grammar_trigger_tokens", &SamplingParams::grammar_trigger_tokens, "Tokens that start a lazy grammar.")
        .def_rw("grammar_prefill", &SamplingParams::grammar_prefill,
                "Text the prompt already ends with that a non-lazy grammar parses first.")
        .def_rw("reasoning_budget", &SamplingParams::reasoning_budget,
                "Most tokens inside the reasoning block before reasoning_end is forced (-1: no cap).")
        .def_rw("reasoning_start", &SamplingParams::reasoning_start, "The text that opens the reasoning block.")
        .def_rw("reasoning_end", &SamplingParams::reasoning_end, "The text that closes the reasoning block.")
        .def_rw("reasoning_opened", &SamplingParams::reasoning_opened, "The prompt ends inside the reasoning block.")
        .def_prop_rw(
            "llg_kind", [](const SamplingParams &p) { return p.llg_kind; },
            [](SamplingParams &p, const std::string &kind) {
                check_llg_kind(kind);
                p.llg_kind = kind;
            },
            nb::for_getter(nb::sig(("def llg_kind(self, /) -> " + llg_kind).c_str())),
            nb::for_setter(nb::sig(("def llg_kind(self, arg: " + llg_kind + ", /) -> None").c_str())),
            "The kind of llg_data, for GrammarEngineKind.llguidance ('': none); another raises ValueError.")
        .def_rw("llg_data", &SamplingParams::llg_data, "llguidance's constraint; one it refuses raises ValueError.")
        .def_rw("mirostat", &SamplingParams::mirostat, "Mirostat sampling: 0 off, 1 v1, 2 v2.")
        .def_rw("mirostat_tau", &SamplingParams::mirostat_tau, "Mirostat's target entropy.")
        .def_rw("mirostat_eta", &SamplingParams::mirostat_eta, "Mirostat's learning rate.")
        .def_rw("top_n_sigma", &SamplingParams::top_n_sigma,
                "Top-n-sigma: keep the tokens whose logit is within this many standard deviations of the top one "
                "(<= 0: off).")
        .def_rw("n_probs", &SamplingParams::n_probs,
                "Log-probabilities of each chosen token and of this many most likely ones (-1: off).");

    nb::class_<GenerationParams>(m, "GenerationParams", "When a generation ends, and how it decodes ahead.")
        .def(nb::init<>(), "Parameters with no token limit, no stop strings and no drafting.")
        .def_rw("max_tokens", &GenerationParams::max_tokens, "Most tokens to generate (< 0: until the context is full).")
        .def_rw("stop", &GenerationParams::stop, "Strings that end the generation (not included in the text).")
        .def_rw("draft_ngram_max", &GenerationParams::draft_ngram_max,
                "Prompt-lookup drafting: the longest n-gram looked up (0: off).")
        .def_rw("draft_num_pred", &GenerationParams::draft_num_pred, "Prompt-lookup drafting: most tokens drafted.")
        .def_rw("jump_forward", &GenerationParams::jump_forward,
                "Decode the tokens llguidance forces in one batch (else one call each).")
        .def_rw("text_per_token", &GenerationParams::text_per_token,
                "Hold back a possible stop string whole tokens at a time and hand text over per token "
                "(Chunk.pieces), as llama-cpp-python streams.")
        .def_rw("id_slot", &GenerationParams::id_slot,
                "Parallel context: the slot (sequence) to run in, modulo the slots, waiting for it to be free "
                "(< 0: the free slot sharing the longest prefix with the prompt).");
}

}  // namespace llama_native
