// nanobind bindings: exposes Model, Context, TokenLoop and the log bridge as
// llama_native._native.  Python-facing validation and API shapes live in the
// pure-Python layer; this file only converts types.
#include "bindings.h"
#include "chat_layer.h"
#include "context.h"
#include "generation.h"
#include "grammar_check.h"
#include "llguidance.h"
#include "model.h"
#include "multimodal.h"
#include "sampling.h"
#include "scheduler.h"

#include <cstring>
#include <initializer_list>
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
    nb::exception<NoValidContinuation>(m, "NoValidContinuation", PyExc_RuntimeError)
        .attr("__doc__") = "No token can continue the output: the grammar and the end check refuse every one.";

    m.def(
        "set_log_sink",
        [](Callback<nb::object(int, std::string)> sink) { set_log_sink(sink.is_none() ? nullptr : sink.ptr()); },
        "sink"_a.none(),
        "Send each llama.cpp/ggml log line to `sink(level, text)` (GGML_LOG_LEVEL_*, no newline); None: drop them. "
        "A sink that raises is ignored.");
    m.def("set_log_level", &set_log_level, "min_level"_a,
          "Drop log lines below `min_level` (GGML_LOG_LEVEL_*) before they reach Python.");
    m.def("system_info", [] { return std::string(llama_print_system_info()); },
          "llama.cpp's system information line (backends and CPU features).");
    const std::string device_type =
        literal_type(std::initializer_list<const char *>{"cpu", "gpu", "igpu", "accel", "meta", "other"});
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
    }, nb::sig(("def devices() -> list[tuple[str, str, " + device_type + "]]").c_str()),
    "ggml's devices after backend init: (name, description, type).");
    m.def("supports_gpu_offload", &llama_supports_gpu_offload, "Whether this build can offload layers to a GPU.");
    m.def("supports_mmap", &llama_supports_mmap, "Whether models can be memory-mapped here.");
    m.def("supports_mlock", &llama_supports_mlock, "Whether model memory can be locked in RAM here.");
    m.def("llg_load", &llg_load, "path"_a,
          "Load the llguidance library at `path` (idempotent); RuntimeError naming what is missing.");
    m.def("llg_available", &llg_available, "Whether the llguidance library is loaded.");
    m.def("numa_init", [](int strategy) { llama_numa_init(static_cast<ggml_numa_strategy>(strategy)); }, "strategy"_a,
          "llama.cpp's NUMA optimizations with `strategy` (GGML_NUMA_STRATEGY_*).");
    m.def("max_devices", &llama_max_devices, "The most devices a model can be split across.");
    m.def("rpc_supported", &rpc_supported, "Whether this build has ggml's RPC backend.");
    m.def("rpc_protocol", [] { return std::make_pair(RPC_PROTO_MAJOR_VERSION, RPC_PROTO_MINOR_VERSION); },
          "The ggml RPC protocol version this build speaks: (major, minor).");
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
    }, "The compiled size in bytes of each llama.h struct that llama_native.llama_cpp mirrors with ctypes.");
    m.def("default_seed", [] { return (uint32_t)LLAMA_DEFAULT_SEED; },
          "LLAMA_DEFAULT_SEED: the seed that means a random one.");

    register_params(m);

    nb::class_<Model>(m, "Model", "A loaded GGUF model: weights (or the vocabulary only), metadata and tokenizer.")
        .def("__init__",
             [](Model *self, const std::string &path, const ModelParams &params,
                Callback<std::optional<bool>(double)> progress) {
                 new (self) Model(path, params, progress.is_none() ? nullptr : progress.ptr());
             },
             "path"_a, "params"_a, "progress"_a.none() = nb::none(),
             "Load the GGUF at `path` with the GIL released; `progress(fraction)` returning False aborts. "
             "RuntimeError when the file does not load, ValueError for invalid parameters.")
        .def_prop_ro("path", &Model::path, "The GGUF file it was loaded from.")
        .def("metadata", &Model::metadata, "The GGUF metadata, values as text.")
        .def("chat_template", &Model::chat_template, "name"_a = "",
             "The chat template stored in the model ('' default, or a named one); '' if none.")
        .def("description", &Model::description, "llama.cpp's one-line description (architecture, size, type).")
        .def_prop_ro("n_ctx_train", &Model::n_ctx_train, "The context size the model was trained with.")
        .def_prop_ro("n_embd", &Model::n_embd, "The embedding size.")
        .def_prop_ro("n_layer", &Model::n_layer, "The number of layers.")
        .def_prop_ro("n_vocab", &Model::n_vocab, "The vocabulary size.")
        .def_prop_ro("size_bytes", &Model::size_bytes, "Total size of the weights in bytes.")
        .def_prop_ro("n_params", &Model::n_params, "The number of parameters.")
        .def("buffer_types", &Model::buffer_types,
             "Bytes of weights held in each buffer type ('CPU', 'CPU_REPACK', 'AMX', 'CUDA0', ...).")
        .def_prop_ro("token_bos", &Model::token_bos, "The beginning-of-sequence token (-1: none).")
        .def_prop_ro("token_eos", &Model::token_eos, "The end-of-sequence token (-1: none).")
        .def_prop_ro("token_eot", &Model::token_eot, "The end-of-turn token (-1: none).")
        .def_prop_ro("token_nl", &Model::token_nl, "The newline token (-1: none).")
        .def_prop_ro("add_bos", &Model::add_bos, "Whether tokenizing adds the BOS token.")
        .def_prop_ro("add_eos", &Model::add_eos, "Whether tokenizing adds the EOS token.")
        .def_prop_ro("token_sep", &Model::token_sep, "The separator token (-1: none).")
        .def_prop_ro("add_sep", &Model::add_sep, "Whether tokenizing a pair adds the SEP token (BERT-style).")
        .def_prop_ro("n_cls_out", &Model::n_cls_out, "Outputs of the classification head (a reranker's scores).")
        .def("is_eog", &Model::is_eog, "token"_a, "Whether `token` ends generation (EOS, EOT, ...).")
        .def("is_control", &Model::is_control, "token"_a, "Whether `token` is a control token.")
        .def("eog_tokens", &Model::eog_tokens, "Every end-of-generation token, ascending.")
        .def("tokenize",
             [](const Model &self, nb::handle text, bool add_special, bool parse_special) {
                 return self.tokenize(from_text(text), add_special, parse_special);
             },
             nb::sig("def tokenize(self, text: str | bytes, add_special: bool = True, parse_special: bool = False)"
                     " -> list[int]"),
             "text"_a, "add_special"_a = true, "parse_special"_a = false,
             "The tokens of `text` (str or UTF-8 bytes); `add_special` adds BOS/EOS as the model does, "
             "`parse_special` reads special tokens written as text.")
        .def("token_to_piece", [](const Model &self, llama_token t, bool special) { return to_bytes(self.token_to_piece(t, special)); },
             "token"_a, "special"_a = false,
             "The bytes `token` renders as (special tokens only with `special`). IndexError when out of range.")
        .def("detokenize",
             [](const Model &self, const std::vector<llama_token> &tokens, bool special) {
                 return to_bytes(self.detokenize(tokens, special));
             },
             "tokens"_a, "special"_a = false, "The bytes `tokens` render as (special tokens only with `special`).")
        .def("token_text", [](const Model &self, llama_token t) { return to_bytes(self.token_text(t)); }, "token"_a,
             "The raw vocabulary entry of `token`. IndexError when out of range.")
        .def_prop_ro("token_fim_pre", &Model::token_fim_pre, "The fill-in-the-middle prefix token (-1: none).")
        .def_prop_ro("token_fim_suf", &Model::token_fim_suf, "The fill-in-the-middle suffix token (-1: none).")
        .def_prop_ro("token_fim_mid", &Model::token_fim_mid, "The fill-in-the-middle middle token (-1: none).")
        .def_prop_ro("token_fim_rep", [](const Model &m) { return llama_vocab_fim_rep(m.vocab()); },
                     "The fill-in-the-middle repository token (-1: none).")
        .def_prop_ro("token_fim_sep", [](const Model &m) { return llama_vocab_fim_sep(m.vocab()); },
                     "The fill-in-the-middle file separator token (-1: none).");

    nb::class_<LoraAdapter>(m, "LoraAdapter", "A LoRA adapter loaded for a model (Context.set_loras applies it).")
        .def(nb::init<Model &, const std::string &>(), "model"_a, "path"_a, nb::keep_alive<1, 2>(),
             "Load the adapter GGUF at `path` for `model`; ValueError when it does not load.")
        .def_prop_ro("path", &LoraAdapter::path, "The adapter file it was loaded from.");

    nb::class_<Context>(m, "Context",
                        "An inference context over a model: the KV cache, prompt decoding with prefix reuse, "
                        "embeddings; one user at a time.")
        .def(nb::init<Model &, const ContextParams &>(), "model"_a, "params"_a, nb::keep_alive<1, 2>(),
             "A context over `model` (kept alive by it); RuntimeError when llama.cpp cannot create it.")
        .def_prop_ro("n_ctx", &Context::n_ctx, "The KV cache size in tokens.")
        .def_prop_ro("n_batch", &Context::n_batch, "The most tokens per llama_decode call.")
        .def_prop_ro("n_ctx_seq", &Context::n_ctx_seq, "One sequence's share of the KV cache.")
        .def_prop_ro("parallel", &Context::parallel,
                     "Whether it serves concurrent requests by continuous batching (n_seq_max > 1).")
        .def_prop_ro("pooling_type", [](const Context &c) { return (int)llama_pooling_type(c.get()); },
                     "The pooling of its embeddings (LLAMA_POOLING_TYPE_*).")
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
             "loras"_a,
             "Apply (adapter, scale) pairs (empty: none); the KV cache is cleared when they change.")
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
             "Make the KV cache hold `tokens` (reusing the cached prefix): (position of the first row, logits rows "
             "as float32 bytes: every newly decoded position with `all_rows`, else the last).")
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
             },
             "The KV state of the cached sequence and the tokens it holds: (state, tokens).")
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
             "data"_a, "tokens"_a,
             "Restore a state from save_state() (`tokens`: what it holds); ValueError for another model's or a "
             "larger context's state.")
        .def("save_slot",
             [](Context &c, int slot) {
                 if (!c.parallel()) throw std::invalid_argument("save_slot needs a parallel context (n_parallel > 1)");
                 std::pair<std::string, std::vector<llama_token>> out;
                 {
                     nb::gil_scoped_release release;
                     out = c.scheduler().save_slot(slot);
                 }
                 return std::make_pair(to_bytes(out.first), out.second);
             },
             "slot"_a,
             "Parallel context: one slot's KV state and the tokens it holds, (state, tokens), read by the "
             "scheduler once the slot is idle (requests in other slots go on).")
        .def("restore_slot",
             [](Context &c, int slot, nb::bytes data, const std::vector<llama_token> &tokens) {
                 if (!c.parallel())
                     throw std::invalid_argument("restore_slot needs a parallel context (n_parallel > 1)");
                 std::string copy(data.c_str(), data.size());
                 nb::gil_scoped_release release;
                 c.scheduler().restore_slot(slot, copy, tokens);
             },
             "slot"_a, "data"_a, "tokens"_a,
             "Parallel context: load a save_slot() state into a slot once it is idle (ValueError for a state "
             "that does not fit; the slot is then empty).")
        .def("erase_slot",
             [](Context &c, int slot) {
                 if (!c.parallel()) throw std::invalid_argument("erase_slot needs a parallel context (n_parallel > 1)");
                 nb::gil_scoped_release release;
                 return c.scheduler().erase_slot(slot);
             },
             "slot"_a, "Parallel context: empty a slot once it is idle; the number of tokens it held.")
        .def_prop_ro("n_slots",
                     [](Context &c) { return c.parallel() ? (size_t)c.n_seq_max() : (size_t)1; },
                     "The sequences requests run in (n_parallel).")
        .def_prop_ro("embeddings", &Context::embeddings, "Whether this is an embedding context.")
        .def("cached_tokens", &Context::cached_tokens, "The tokens the KV cache holds (sequence 0).")
        .def("clear_cache",
             [](Context &self) {
                 self.acquire();
                 self.clear_cache();
                 self.release();
             },
             "Empty the KV cache.")
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
             "tokens"_a,
             "Logits of every position of `tokens` decoded from an empty cache, as float32 bytes "
             "(len(tokens) x n_vocab, row-major); the cache then holds `tokens`.")
        .def("embed",
             [](Context &self, const std::vector<std::vector<llama_token>> &inputs, int normalize, bool per_token) {
                 self.acquire();
                 try {
                     std::vector<std::vector<float>> out;
                     {
                         nb::gil_scoped_release release;
                         out = self.embed(inputs, normalize, per_token);
                     }
                     self.release();
                     return out;
                 } catch (...) {
                     self.release();
                     throw;
                 }
             },
             "inputs"_a, "normalize"_a = 2, "per_token"_a = false,
             "The pooled (or last-token) embedding of each token list, normalized as llama-server's "
             "embd_normalize (-1 none, 0 max-abs int16, 1 taxicab, 2 euclidean, >2 p-norm); under rank "
             "pooling the classifier's scores (n_cls_out each), unnormalized.  per_token=True (a context "
             "without pooling): one vector per token of every input, the inputs' rows one after another.");

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
          "src"_a, "dst"_a, "ftype"_a, "n_threads"_a = 1,
          "llama.cpp's quantizer (llama-quantize): the GGUF `src` written to `dst` as `ftype` (LLAMA_FTYPE_*); "
          "RuntimeError when it fails.");
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
          "model"_a, "params"_a, "logits"_a,
          "llama-cpp-python's Llama.sample(): one token chosen from a row of float32 logits by a fresh sampler "
          "(no penalty history, as there), nothing decoded. ValueError unless `logits` holds n_vocab values.");

    // The strings that cross the boundary, as literal types in the stub (llama_native/_types.py).
    const std::string finish_reason_type =
        literal_type(std::initializer_list<const char *>{
            finish_reason_name(FinishReason::None), finish_reason_name(FinishReason::Stop),
            finish_reason_name(FinishReason::Length), finish_reason_name(FinishReason::Cancelled),
            finish_reason_name(FinishReason::Error)});
    const std::string grammar_engine_type =
        literal_type(std::initializer_list<const char *>{"none", "gbnf", "llguidance"});  // Sampler::engine()
    const std::string finish_reason_sig = "def finish_reason(self, /) -> " + finish_reason_type;

    using LogprobEntry = std::tuple<llama_token, float, std::vector<std::pair<llama_token, float>>>;
    nb::class_<Chunk>(m, "Chunk", "What one step of a TokenLoop hands over: text, tokens and why it ended.")
        .def_ro("text", &Chunk::text, "Complete UTF-8 text (may be empty; a possible stop string is held back).")
        .def_ro("tokens", &Chunk::tokens, "The tokens sampled in this step.")
        .def_ro("pieces", &Chunk::pieces,
                "With GenerationParams.text_per_token: the text in llama-cpp-python's stream chunks, one per token "
                "(an empty one where a stop string starts the held text); else empty.")
        .def_prop_ro("logprobs",
                     [](const Chunk &c) {
                         nb::typed<nb::list, LogprobEntry> out;
                         for (const TokenLogprob &lp : c.logprobs) out.append(nb::make_tuple(lp.token, lp.logprob, lp.top));
                         return out;
                     },
                     "(token, logprob, [(token, logprob) of the most likely, most likely first]) per token when "
                     "SamplingParams.n_probs >= 0.")
        .def_prop_ro("finish_reason", [](const Chunk &c) { return std::string(finish_reason_name(c.finish_reason)); },
                     nb::sig(finish_reason_sig.c_str()),
                     "Why the generation ended with this chunk: '' not yet, 'stop' an end token, stop string or "
                     "the grammar's end, 'length' max_tokens or a full context, 'cancelled', 'error'.");

    nb::class_<Projector>(m, "Projector", "A multimodal projector (mmproj GGUF) loaded for a model: its image encoder.")
        .def(nb::init<const Model &, const std::string &, int, bool>(), "model"_a, "path"_a, "n_threads"_a,
             "use_gpu"_a, nb::keep_alive<1, 2>(),
             "Load the projector at `path` for `model`; ValueError (with libmtmd's reason) when it does not fit.")
        .def_prop_ro("supports_vision", &Projector::supports_vision, "Whether it encodes images.")
        .def_prop_rw("image_cache_bytes", &Projector::cache_limit, &Projector::set_cache_limit,
                     "Bytes of encoded images kept to reuse, keyed by the pixels' hash (0: none; default 256 MiB).")
        .def_prop_ro("image_cache_used", &Projector::cache_bytes, "Bytes the kept image embeddings take now.")
        .def_prop_ro("images_encoded", &Projector::n_encoded, "Images the encoder has run on.")
        .def_prop_ro("image_cache_hits", &Projector::n_cache_hits,
                     "Images decoded from kept embeddings, without running the encoder.");

    nb::class_<PromptMedia>(m, "PromptMedia", "The images of a tokenized prompt: their placeholder runs and chunks.")
        .def_prop_ro("n_media_tokens", &PromptMedia::n_media_tokens, "The embeddings of all images.")
        .def_prop_ro("extra_cells", &PromptMedia::extra_cells,
                     "KV cells beyond the token list's length (M-RoPE images take fewer positions than cells).")
        .def_prop_ro("runs",
                     [](const PromptMedia &media) {
                         nb::typed<nb::list, std::tuple<size_t, size_t, std::string>> out;
                         for (const MediaRun &run : media.runs)
                             out.append(nb::make_tuple(run.start, run.n_tokens, run.id));
                         return out;
                     },
                     "(start, n_tokens, id) of each image's placeholder run, by start.");

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

    // Python's hooks (None: off); see TokenLoop's setters in generation.h.
    using EndCheckFn = Callback<bool(std::string)>;
    using LogitsProcessorFn = Callback<ScoreArray(TokenIdArray, ScoreArray)>;
    using StoppingCriteriaFn = Callback<bool(TokenIdArray, ScoreArray)>;
    nb::class_<TokenLoop>(m, "TokenLoop", "One generation on a context; pull its chunks with next().")
        .def(nb::init<Context &, std::vector<llama_token>, const SamplingParams &, const GenerationParams &, EndCheckFn,
                      LogitsProcessorFn, StoppingCriteriaFn, std::shared_ptr<PromptMedia>>(),
             "context"_a, "prompt"_a, "sampling"_a, "params"_a, "end_check"_a.none() = nb::none(),
             "logits_processor"_a.none() = nb::none(), "stopping_criteria"_a.none() = nb::none(),
             "media"_a.none() = nb::none(), nb::keep_alive<1, 2>(),
             "Start generating after `prompt` (single-sequence context: take its lease, waiting for it, and decode "
             "the prompt; parallel context: submit the request). The hooks are those of the set_* methods. "
             "ValueError for an invalid grammar, IndexError for a token outside the vocabulary.")
        .def("next", &TokenLoop::next, nb::arg("whole") = false,
             "The next chunk (GIL released), None once finished; `whole` waits for the whole generation. "
             "NoValidContinuation when the grammar and end check leave no token.")
        .def("cancel", &TokenLoop::cancel, "Ask the loop to stop (any thread); it finishes as 'cancelled'.")
        .def("close", &TokenLoop::close, "Finish now and release the context.")
        .def("set_end_check", [](TokenLoop &g, EndCheckFn check) { g.set_end_check(std::move(check)); },
             "check"_a.none(),
             "`check(text) -> bool` vets the whole text whenever a token would complete the grammar's value or end "
             "generation; a refused token is never emitted. None removes it.")
        .def("set_logits_processor",
             [](TokenLoop &g, LogitsProcessorFn processor) { g.set_logits_processor(std::move(processor)); },
             "processor"_a.none(),
             "`processor(input_ids, scores) -> scores` rewrites each position's logits (llama-cpp-python's hook; "
             "ValueError unless it returns n_vocab scores). None removes it.")
        .def("set_stopping_criteria",
             [](TokenLoop &g, StoppingCriteriaFn criteria) { g.set_stopping_criteria(std::move(criteria)); },
             "criteria"_a.none(),
             "`criteria(input_ids, scores) -> bool` ends generation ('stop') after the token just chosen "
             "(llama-cpp-python's hook). None removes it.")
        .def_prop_ro("finished", &TokenLoop::finished,
                     "Whether it has finished (on a parallel context: whether its last chunk was taken).")
        .def_prop_ro("finish_reason", [](const TokenLoop &g) { return std::string(finish_reason_name(g.finish_reason())); },
                     nb::sig(finish_reason_sig.c_str()), "Why it ended ('' while running); see Chunk.finish_reason.")
        .def_prop_ro("n_prompt_tokens", &TokenLoop::n_prompt_tokens, "The prompt's tokens (an image's embeddings counted).")
        .def_prop_ro("n_reused_tokens", &TokenLoop::n_reused_tokens, "Prompt tokens reused from the KV cache.")
        .def_prop_ro("n_generated", &TokenLoop::n_generated, "Tokens generated so far.")
        .def_prop_ro("generated_tokens", &TokenLoop::generated_tokens, "The tokens generated so far.")
        .def_prop_ro("eog_token", &TokenLoop::eog_token, "The end-of-generation token that ended it, or -1.")
        .def_prop_ro("text", &TokenLoop::text, "Everything decoded so far.")
        .def_prop_ro("grammar_resamples", &TokenLoop::grammar_resamples,
                     "Tokens chosen again under the full grammar mask after the grammar refused the first choice.")
        .def_prop_ro("grammar_engine", [](const TokenLoop &g) { return std::string(g.grammar_engine()); },
                     nb::sig(("def grammar_engine(self, /) -> " + grammar_engine_type).c_str()),
                     "The grammar engine it runs on ('none': no grammar).")
        .def_prop_ro("n_decode_calls", &TokenLoop::n_decode_calls, "llama_decode calls after the prompt.")
        .def_prop_ro("n_drafted", &TokenLoop::n_drafted, "Tokens drafted by prompt lookup.")
        .def_prop_ro("n_draft_accepted", &TokenLoop::n_draft_accepted, "Drafted tokens the model confirmed.")
        .def_prop_ro("n_forced", &TokenLoop::n_forced, "Tokens the grammar forced (jump-forward), not sampled.")
        .def_prop_ro("queue_ms", [](const TokenLoop &g) { return g.clock().queue_ms(); },
                     "Milliseconds waiting for the context (its lease, or a scheduler slot).")
        .def_prop_ro("prompt_ms", [](const TokenLoop &g) { return g.clock().prompt_ms(); },
                     "Milliseconds evaluating the prompt's tokens not reused from the KV cache.")
        .def_prop_ro("predicted_ms", [](const TokenLoop &g) { return g.clock().predicted_ms(); },
                     "Milliseconds from the prompt's end to the last token (so far, while running).")
        .def_prop_ro("first_token_ms", [](const TokenLoop &g) { return g.clock().first_token_ms(); },
                     "Milliseconds from the constructor to the first token chosen.")
        .def_prop_ro("grammar_ms", &TokenLoop::grammar_ms,
                     "Milliseconds in the grammar engine: checks, masks, forced tokens, accepting tokens.");

    m.def("validate_grammar", &validate_grammar, "grammar"_a, "root"_a = "root",
          "Parse a GBNF grammar with llama.cpp's parser; ValueError with its message when it does not parse.");
    m.def("grammar_accepts", &grammar_accepts, "grammar"_a, "root"_a, "text"_a,
          nb::call_guard<nb::gil_scoped_release>(),
          "Whether llama.cpp's grammar engine accepts `text` as a complete sentence of the grammar.");
}
