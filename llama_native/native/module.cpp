// nanobind bindings: exposes Model, Context, TokenLoop and the log bridge as
// llama_native._native.  Python-facing validation and API shapes live in the
// pure-Python layer; this file only converts types.
#include "chat_layer.h"
#include "context.h"
#include "generation.h"
#include "grammar_check.h"
#include "llguidance.h"
#include "model.h"
#include "multimodal.h"
#include "sampling.h"

#include <cstring>
#include <ggml-rpc.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <nanobind/stl/tuple.h>

namespace nb = nanobind;
using namespace nb::literals;
using namespace llama_native;

namespace {

nb::bytes to_bytes(const std::string &s) { return nb::bytes(s.data(), s.size()); }

std::string from_text(const nb::handle &text) {
    if (nb::isinstance<nb::bytes>(text)) {
        nb::bytes b = nb::borrow<nb::bytes>(text);
        return std::string(b.c_str(), b.size());
    }
    if (nb::isinstance<nb::str>(text)) {
        Py_ssize_t size;
        const char *data = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
        if (!data) throw nb::python_error();
        return std::string(data, size);
    }
    throw nb::type_error("text must be str or bytes");
}

}  // namespace

NB_MODULE(_native, m) {
    m.doc() = "llama.cpp bindings for llama_native (internal; use llama_native.Llama)";
    install_log_bridge();
    register_chat_layer(m);
    nb::exception<NoValidContinuation>(m, "NoValidContinuation", PyExc_RuntimeError);

    m.def("set_log_sink", [](nb::object sink) { set_log_sink(sink.is_none() ? nullptr : sink.ptr()); }, "sink"_a.none());
    m.def("set_log_level", &set_log_level, "min_level"_a);
    m.def("system_info", [] { return std::string(llama_print_system_info()); });
    // ggml's devices after backend init: (name, description, type: "cpu", "gpu", "igpu", "accel", "meta")
    m.def("devices", [] {
        std::vector<std::tuple<std::string, std::string, std::string>> out;
        for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
            ggml_backend_dev_t dev = ggml_backend_dev_get(i);
            const char *type = "cpu";
            switch (ggml_backend_dev_type(dev)) {
                case GGML_BACKEND_DEVICE_TYPE_CPU: type = "cpu"; break;
                case GGML_BACKEND_DEVICE_TYPE_GPU: type = "gpu"; break;
                case GGML_BACKEND_DEVICE_TYPE_IGPU: type = "igpu"; break;
                case GGML_BACKEND_DEVICE_TYPE_ACCEL: type = "accel"; break;
                case GGML_BACKEND_DEVICE_TYPE_META: type = "meta"; break;
                default: type = "other"; break;
            }
            out.emplace_back(ggml_backend_dev_name(dev), ggml_backend_dev_description(dev), type);
        }
        return out;
    });
    m.def("supports_gpu_offload", &llama_supports_gpu_offload);
    m.def("supports_mmap", &llama_supports_mmap);
    m.def("supports_mlock", &llama_supports_mlock);
    m.def("llg_load", &llg_load, "path"_a);
    m.def("llg_available", &llg_available);
    m.def("numa_init", [](int strategy) { llama_numa_init(static_cast<ggml_numa_strategy>(strategy)); }, "strategy"_a);
    m.def("max_devices", &llama_max_devices);
    m.def("rpc_supported", &rpc_supported);
    m.def("rpc_protocol", [] { return std::make_pair(RPC_PROTO_MAJOR_VERSION, RPC_PROTO_MINOR_VERSION); });
    // For llama_native.llama_cpp's ctypes structs: each must have the compiled size.
    m.def("struct_sizes", [] {
        return std::map<std::string, size_t>{
            {"llama_model_params", sizeof(llama_model_params)},
            {"llama_context_params", sizeof(llama_context_params)},
            {"llama_batch", sizeof(llama_batch)},
            {"llama_token_data", sizeof(llama_token_data)},
            {"llama_token_data_array", sizeof(llama_token_data_array)},
            {"llama_sampler_chain_params", sizeof(llama_sampler_chain_params)},
            {"llama_logit_bias", sizeof(llama_logit_bias)},
        };
    });
    m.def("default_seed", [] { return (uint32_t)LLAMA_DEFAULT_SEED; });

    nb::class_<ModelParams>(m, "ModelParams")
        .def(nb::init<>())
        .def_rw("n_gpu_layers", &ModelParams::n_gpu_layers)
        .def_rw("use_mmap", &ModelParams::use_mmap)
        .def_rw("use_mlock", &ModelParams::use_mlock)
        .def_rw("vocab_only", &ModelParams::vocab_only)
        .def_rw("split_mode", &ModelParams::split_mode)
        .def_rw("main_gpu", &ModelParams::main_gpu)
        .def_rw("tensor_split", &ModelParams::tensor_split)
        .def_rw("kv_overrides", &ModelParams::kv_overrides)
        .def_rw("rpc_servers", &ModelParams::rpc_servers)
        .def_rw("use_extra_bufts", &ModelParams::use_extra_bufts);

    nb::class_<KvOverride>(m, "KvOverride")
        .def(nb::init<>())
        .def_rw("key", &KvOverride::key)
        .def_rw("kind", &KvOverride::kind)
        .def_rw("int_value", &KvOverride::int_value)
        .def_rw("float_value", &KvOverride::float_value)
        .def_rw("str_value", &KvOverride::str_value);

    nb::class_<Model>(m, "Model")
        .def("__init__",
             [](Model *self, const std::string &path, const ModelParams &params, nb::object progress) {
                 new (self) Model(path, params, progress.is_none() ? nullptr : progress.ptr());
             },
             "path"_a, "params"_a, "progress"_a.none() = nb::none())
        .def_prop_ro("path", &Model::path)
        .def("metadata", &Model::metadata)
        .def("chat_template", &Model::chat_template, "name"_a = "")
        .def("description", &Model::description)
        .def_prop_ro("n_ctx_train", &Model::n_ctx_train)
        .def_prop_ro("n_embd", &Model::n_embd)
        .def_prop_ro("n_layer", &Model::n_layer)
        .def_prop_ro("n_vocab", &Model::n_vocab)
        .def_prop_ro("size_bytes", &Model::size_bytes)
        .def_prop_ro("n_params", &Model::n_params)
        .def("buffer_types", &Model::buffer_types)
        .def_prop_ro("token_bos", &Model::token_bos)
        .def_prop_ro("token_eos", &Model::token_eos)
        .def_prop_ro("token_eot", &Model::token_eot)
        .def_prop_ro("token_nl", &Model::token_nl)
        .def_prop_ro("add_bos", &Model::add_bos)
        .def_prop_ro("add_eos", &Model::add_eos)
        .def("is_eog", &Model::is_eog, "token"_a)
        .def("is_control", &Model::is_control, "token"_a)
        .def("eog_tokens", &Model::eog_tokens)
        .def("tokenize",
             [](const Model &self, nb::handle text, bool add_special, bool parse_special) {
                 return self.tokenize(from_text(text), add_special, parse_special);
             },
             "text"_a, "add_special"_a = true, "parse_special"_a = false)
        .def("token_to_piece", [](const Model &self, llama_token t, bool special) { return to_bytes(self.token_to_piece(t, special)); },
             "token"_a, "special"_a = false)
        .def("detokenize",
             [](const Model &self, const std::vector<llama_token> &tokens, bool special) {
                 return to_bytes(self.detokenize(tokens, special));
             },
             "tokens"_a, "special"_a = false)
        .def("token_text", [](const Model &self, llama_token t) { return to_bytes(self.token_text(t)); }, "token"_a)
        .def_prop_ro("token_fim_pre", &Model::token_fim_pre)
        .def_prop_ro("token_fim_suf", &Model::token_fim_suf)
        .def_prop_ro("token_fim_mid", &Model::token_fim_mid);

    nb::class_<LoraAdapter>(m, "LoraAdapter")
        .def(nb::init<Model &, const std::string &>(), "model"_a, "path"_a, nb::keep_alive<1, 2>())
        .def_prop_ro("path", &LoraAdapter::path);

    nb::class_<ContextParams>(m, "ContextParams")
        .def(nb::init<>())
        .def_rw("n_ctx", &ContextParams::n_ctx)
        .def_rw("n_batch", &ContextParams::n_batch)
        .def_rw("n_ubatch", &ContextParams::n_ubatch)
        .def_rw("n_threads", &ContextParams::n_threads)
        .def_rw("n_threads_batch", &ContextParams::n_threads_batch)
        .def_rw("embeddings", &ContextParams::embeddings)
        .def_rw("flash_attn", &ContextParams::flash_attn)
        .def_rw("n_seq_max", &ContextParams::n_seq_max)
        .def_rw("rope_scaling_type", &ContextParams::rope_scaling_type)
        .def_rw("pooling_type", &ContextParams::pooling_type)
        .def_rw("attention_type", &ContextParams::attention_type)
        .def_rw("rope_freq_base", &ContextParams::rope_freq_base)
        .def_rw("rope_freq_scale", &ContextParams::rope_freq_scale)
        .def_rw("yarn_ext_factor", &ContextParams::yarn_ext_factor)
        .def_rw("yarn_attn_factor", &ContextParams::yarn_attn_factor)
        .def_rw("yarn_beta_fast", &ContextParams::yarn_beta_fast)
        .def_rw("yarn_beta_slow", &ContextParams::yarn_beta_slow)
        .def_rw("yarn_orig_ctx", &ContextParams::yarn_orig_ctx)
        .def_rw("type_k", &ContextParams::type_k)
        .def_rw("type_v", &ContextParams::type_v)
        .def_rw("offload_kqv", &ContextParams::offload_kqv)
        .def_rw("op_offload", &ContextParams::op_offload)
        .def_rw("swa_full", &ContextParams::swa_full)
        .def_rw("no_perf", &ContextParams::no_perf);

    nb::class_<Context>(m, "Context")
        .def(nb::init<Model &, const ContextParams &>(), "model"_a, "params"_a, nb::keep_alive<1, 2>())
        .def_prop_ro("n_ctx", &Context::n_ctx)
        .def_prop_ro("n_batch", &Context::n_batch)
        .def_prop_ro("n_ctx_seq", &Context::n_ctx_seq)
        .def_prop_ro("parallel", &Context::parallel)
        .def_prop_ro("pooling_type", [](const Context &c) { return (int)llama_pooling_type(c.get()); })
        .def("set_loras",
             [](Context &c, const std::vector<std::pair<LoraAdapter *, float>> &loras) {
                 c.acquire();
                 try {
                     c.set_loras(loras);
                     c.release();
                 } catch (...) {
                     c.release();
                     throw;
                 }
             },
             "loras"_a)
        .def("eval",
             [](Context &self, const std::vector<llama_token> &tokens, bool all_rows) {
                 self.acquire();
                 try {
                     std::vector<float> rows;
                     size_t first = 0;
                     {
                         nb::gil_scoped_release release;
                         rows = self.eval(tokens, all_rows, first);
                     }
                     self.release();
                     return std::make_pair(
                         first, nb::bytes(reinterpret_cast<const char *>(rows.data()), rows.size() * sizeof(float)));
                 } catch (...) {
                     self.release();
                     throw;
                 }
             },
             "tokens"_a, "all_rows"_a = false,
             "Make the KV cache hold `tokens` (reusing the cached prefix): (position of the first row, logits rows).")
        .def("save_state",
             [](Context &c) {
                 c.acquire();
                 try {
                     std::string data;
                     {
                         nb::gil_scoped_release release;
                         data = c.save_state();
                     }
                     std::vector<llama_token> tokens = c.cached_tokens();
                     c.release();
                     return std::make_pair(to_bytes(data), tokens);
                 } catch (...) {
                     c.release();
                     throw;
                 }
             })
        .def("load_state",
             [](Context &c, nb::bytes data, const std::vector<llama_token> &tokens) {
                 std::string copy(data.c_str(), data.size());
                 c.acquire();
                 try {
                     {
                         nb::gil_scoped_release release;
                         c.load_state(copy, tokens);
                     }
                     c.release();
                 } catch (...) {
                     c.release();
                     throw;
                 }
             },
             "data"_a, "tokens"_a)
        .def_prop_ro("embeddings", &Context::embeddings)
        .def("cached_tokens", &Context::cached_tokens)
        .def("clear_cache",
             [](Context &self) {
                 self.acquire();
                 self.clear_cache();
                 self.release();
             })
        .def("logits",
             [](Context &self, const std::vector<llama_token> &tokens) {
                 self.acquire();
                 try {
                     std::vector<float> out;
                     {
                         nb::gil_scoped_release release;
                         out = self.logits(tokens);
                     }
                     self.release();
                     return nb::bytes(reinterpret_cast<const char *>(out.data()), out.size() * sizeof(float));
                 } catch (...) {
                     self.release();
                     throw;
                 }
             },
             "tokens"_a)
        .def("embed",
             [](Context &self, const std::vector<std::vector<llama_token>> &inputs, bool normalize) {
                 self.acquire();
                 try {
                     std::vector<std::vector<float>> out;
                     {
                         nb::gil_scoped_release release;
                         out = self.embed(inputs, normalize);
                     }
                     self.release();
                     return out;
                 } catch (...) {
                     self.release();
                     throw;
                 }
             },
             "inputs"_a, "normalize"_a = true);

    // llama.cpp's quantizer (llama-quantize): `src` GGUF to `dst` as `ftype` (LLAMA_FTYPE_*); llama_native.testing
    m.def("quantize",
          [](const std::string &src, const std::string &dst, int ftype, int n_threads) {
              llama_model_quantize_params params = llama_model_quantize_default_params();
              params.ftype = static_cast<llama_ftype>(ftype);
              params.nthread = n_threads;
              uint32_t rc;
              {
                  nb::gil_scoped_release release;
                  rc = llama_model_quantize(src.c_str(), dst.c_str(), &params);
              }
              if (rc != 0) throw std::runtime_error("llama_model_quantize failed for '" + src + "'");
          },
          "src"_a, "dst"_a, "ftype"_a, "n_threads"_a = 1);
    // llama-cpp-python's Llama.sample(): one token chosen from a row of logits by a fresh sampler
    // (no penalty history, as there), nothing decoded
    m.def("sample_logits",
          [](const Model &model, const SamplingParams &params, nb::bytes logits) {
              const size_t n_vocab = (size_t)model.n_vocab();
              if (logits.size() != n_vocab * sizeof(float))
                  throw std::invalid_argument("logits must hold " + std::to_string(n_vocab) + " float32 values");
              std::vector<float> row(n_vocab);
              std::memcpy(row.data(), logits.c_str(), logits.size());
              Sampler sampler(model, params);
              return sampler.sample_logits(row.data());
          },
          "model"_a, "params"_a, "logits"_a);

    nb::class_<SamplingParams>(m, "SamplingParams")
        .def(nb::init<>())
        .def_rw("temperature", &SamplingParams::temperature)
        .def_rw("top_k", &SamplingParams::top_k)
        .def_rw("top_p", &SamplingParams::top_p)
        .def_rw("min_p", &SamplingParams::min_p)
        .def_rw("typical_p", &SamplingParams::typical_p)
        .def_rw("repeat_penalty", &SamplingParams::repeat_penalty)
        .def_rw("presence_penalty", &SamplingParams::presence_penalty)
        .def_rw("frequency_penalty", &SamplingParams::frequency_penalty)
        .def_rw("penalty_last_n", &SamplingParams::penalty_last_n)
        .def_rw("seed", &SamplingParams::seed)
        .def_rw("logit_bias", &SamplingParams::logit_bias)
        .def_rw("grammar", &SamplingParams::grammar)
        .def_rw("grammar_root", &SamplingParams::grammar_root)
        .def_rw("grammar_lazy", &SamplingParams::grammar_lazy)
        .def_rw("grammar_trigger_patterns", &SamplingParams::grammar_trigger_patterns)
        .def_rw("grammar_trigger_tokens", &SamplingParams::grammar_trigger_tokens)
        .def_rw("grammar_prefill", &SamplingParams::grammar_prefill)
        .def_rw("reasoning_budget", &SamplingParams::reasoning_budget)
        .def_rw("reasoning_start", &SamplingParams::reasoning_start)
        .def_rw("reasoning_end", &SamplingParams::reasoning_end)
        .def_rw("reasoning_opened", &SamplingParams::reasoning_opened)
        .def_rw("llg_kind", &SamplingParams::llg_kind)
        .def_rw("llg_data", &SamplingParams::llg_data)
        .def_rw("mirostat", &SamplingParams::mirostat)
        .def_rw("mirostat_tau", &SamplingParams::mirostat_tau)
        .def_rw("mirostat_eta", &SamplingParams::mirostat_eta)
        .def_rw("top_n_sigma", &SamplingParams::top_n_sigma)
        .def_rw("n_probs", &SamplingParams::n_probs);

    nb::class_<GenerationParams>(m, "GenerationParams")
        .def(nb::init<>())
        .def_rw("max_tokens", &GenerationParams::max_tokens)
        .def_rw("stop", &GenerationParams::stop)
        .def_rw("draft_ngram_max", &GenerationParams::draft_ngram_max)
        .def_rw("draft_num_pred", &GenerationParams::draft_num_pred)
        .def_rw("jump_forward", &GenerationParams::jump_forward);

    nb::class_<Chunk>(m, "Chunk")
        .def_ro("text", &Chunk::text)
        .def_ro("tokens", &Chunk::tokens)
        .def_prop_ro("logprobs",
                     [](const Chunk &c) {
                         nb::list out;
                         for (const TokenLogprob &lp : c.logprobs) out.append(nb::make_tuple(lp.token, lp.logprob, lp.top));
                         return out;
                     })
        .def_prop_ro("finish_reason", [](const Chunk &c) { return std::string(finish_reason_name(c.finish_reason)); });

    nb::class_<Projector>(m, "Projector")
        .def(nb::init<const Model &, const std::string &, int, bool>(), "model"_a, "path"_a, "n_threads"_a,
             "use_gpu"_a, nb::keep_alive<1, 2>())
        .def_prop_ro("supports_vision", &Projector::supports_vision);

    nb::class_<PromptMedia>(m, "PromptMedia")
        .def_prop_ro("n_media_tokens", &PromptMedia::n_media_tokens)
        .def_prop_ro("extra_cells", &PromptMedia::extra_cells)
        .def_prop_ro("runs", [](const PromptMedia &media) {
            nb::list out;  // (start, n_tokens, id) of each image
            for (const MediaRun &run : media.runs) out.append(nb::make_tuple(run.start, run.n_tokens, run.id));
            return out;
        });

    m.def(
        "tokenize_with_media",
        [](std::shared_ptr<Projector> projector, const std::vector<nb::bytes> &texts,
           const std::vector<std::tuple<uint32_t, uint32_t, nb::bytes, std::string>> &images, bool add_special,
           bool parse_special) {
            std::vector<std::string> text_parts;
            for (const nb::bytes &t : texts) text_parts.emplace_back(t.c_str(), t.size());
            std::vector<ImageInput> inputs;
            for (const auto &[w, h, rgb, id] : images)
                inputs.push_back({w, h, std::string(rgb.c_str(), rgb.size()), id});
            return tokenize_with_media(projector, text_parts, inputs, add_special, parse_special);
        },
        "projector"_a, "texts"_a, "images"_a, "add_special"_a, "parse_special"_a,
        "Tokens of texts[0] image[0] texts[1] ... texts[n] (images as (width, height, rgb, id)), with the images' "
        "placeholder runs, and the PromptMedia that decodes them.");

    nb::class_<TokenLoop>(m, "TokenLoop")
        .def(nb::init<Context &, std::vector<llama_token>, const SamplingParams &, const GenerationParams &, nb::object,
                      nb::object, nb::object, std::shared_ptr<PromptMedia>>(),
             "context"_a, "prompt"_a, "sampling"_a, "params"_a, "end_check"_a.none() = nb::none(),
             "logits_processor"_a.none() = nb::none(), "stopping_criteria"_a.none() = nb::none(),
             "media"_a.none() = nb::none(), nb::keep_alive<1, 2>())
        .def("next", &TokenLoop::next, nb::arg("whole") = false)
        .def("cancel", &TokenLoop::cancel)
        .def("close", &TokenLoop::close)
        .def("set_end_check", &TokenLoop::set_end_check, "check"_a.none())
        .def("set_logits_processor", &TokenLoop::set_logits_processor, "processor"_a.none())
        .def("set_stopping_criteria", &TokenLoop::set_stopping_criteria, "criteria"_a.none())
        .def_prop_ro("finished", &TokenLoop::finished)
        .def_prop_ro("finish_reason", [](const TokenLoop &g) { return std::string(finish_reason_name(g.finish_reason())); })
        .def_prop_ro("n_prompt_tokens", &TokenLoop::n_prompt_tokens)
        .def_prop_ro("n_reused_tokens", &TokenLoop::n_reused_tokens)
        .def_prop_ro("n_generated", &TokenLoop::n_generated)
        .def_prop_ro("generated_tokens", &TokenLoop::generated_tokens)
        .def_prop_ro("eog_token", &TokenLoop::eog_token)
        .def_prop_ro("text", &TokenLoop::text)
        .def_prop_ro("grammar_resamples", &TokenLoop::grammar_resamples)
        .def_prop_ro("grammar_engine", [](const TokenLoop &g) { return std::string(g.grammar_engine()); })
        .def_prop_ro("n_decode_calls", &TokenLoop::n_decode_calls)
        .def_prop_ro("n_drafted", &TokenLoop::n_drafted)
        .def_prop_ro("n_draft_accepted", &TokenLoop::n_draft_accepted);

    m.def("validate_grammar", &validate_grammar, "grammar"_a, "root"_a = "root");
    m.def("grammar_accepts", &grammar_accepts, "grammar"_a, "root"_a, "text"_a,
          nb::call_guard<nb::gil_scoped_release>());
}
