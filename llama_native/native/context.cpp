// Context creation, prompt decoding in batches with KV prefix reuse,
// embeddings and the per-context lock.
#include "context.h"

#include <nanobind/nanobind.h>

#include "ggml-cpu.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nb = nanobind;

namespace llama_native {

size_t common_prefix(const std::vector<llama_token> &a, const std::vector<llama_token> &b) {
    size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
}

Context::Context(Model &model, const ContextParams &p) : model_(model), embeddings_(p.embeddings) {
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = p.n_ctx;
    cp.n_batch = p.n_batch;
    cp.n_ubatch = std::min(p.n_ubatch, p.n_batch);
    // An embedding context packs several inputs into one batch, one sequence each.
    cp.n_seq_max = p.embeddings ? std::max<uint32_t>(p.n_seq_max, kEmbedSequences) : p.n_seq_max;
    if (p.embeddings) cp.kv_unified = true;
    else if (p.n_seq_max > 1) cp.kv_unified = false;  // each sequence attends over its own cells only
    cp.n_threads = p.n_threads;
    cp.n_threads_batch = p.n_threads_batch;
    cp.embeddings = p.embeddings;
    cp.flash_attn_type = p.flash_attn < 0    ? LLAMA_FLASH_ATTN_TYPE_AUTO
                         : p.flash_attn == 0 ? LLAMA_FLASH_ATTN_TYPE_DISABLED
                                             : LLAMA_FLASH_ATTN_TYPE_ENABLED;
    cp.rope_scaling_type = static_cast<llama_rope_scaling_type>(p.rope_scaling_type);
    cp.pooling_type = static_cast<enum llama_pooling_type>(p.pooling_type);
    cp.attention_type = static_cast<llama_attention_type>(p.attention_type);
    cp.rope_freq_base = p.rope_freq_base;
    cp.rope_freq_scale = p.rope_freq_scale;
    cp.yarn_ext_factor = p.yarn_ext_factor;
    cp.yarn_attn_factor = p.yarn_attn_factor;
    cp.yarn_beta_fast = p.yarn_beta_fast;
    cp.yarn_beta_slow = p.yarn_beta_slow;
    cp.yarn_orig_ctx = p.yarn_orig_ctx;
    cp.type_k = static_cast<ggml_type>(p.type_k);
    cp.type_v = static_cast<ggml_type>(p.type_v);
    cp.offload_kqv = p.offload_kqv;
    cp.op_offload = p.op_offload;
    cp.swa_full = p.swa_full;
    cp.no_perf = p.no_perf;
    cp.abort_callback = &Context::abort_callback;
    cp.abort_callback_data = this;

    LogCapture capture;
    {
        nb::gil_scoped_release release;
        ctx_ = llama_init_from_model(model.get(), cp);
    }
    if (!ctx_) {
        std::string reason = capture.text();
        throw std::runtime_error("failed to create a llama context" + (reason.empty() ? "" : ": " + reason));
    }
    // One pool of worker threads for single-token steps and one for prompt batches, created once
    // (without them ggml starts and joins its threads at every decode), as llama-server does.
    ggml_threadpool_params tp = ggml_threadpool_params_default(std::max(1, p.n_threads));
    threadpool_ = ggml_threadpool_new(&tp);
    if (p.n_threads_batch != p.n_threads) {
        ggml_threadpool_params tpb = ggml_threadpool_params_default(std::max(1, p.n_threads_batch));
        threadpool_batch_ = ggml_threadpool_new(&tpb);
    }
    if (!threadpool_ || (p.n_threads_batch != p.n_threads && !threadpool_batch_)) {
        if (threadpool_) ggml_threadpool_free(threadpool_);
        llama_free(ctx_);
        throw std::runtime_error("failed to create ggml's CPU thread pool");
    }
    llama_attach_threadpool(ctx_, threadpool_, threadpool_batch_ ? threadpool_batch_ : threadpool_);
    batch_ = llama_batch_init((int32_t)llama_n_batch(ctx_), 0, 1);
    // Flash attention "auto" is on wherever the CPU runs the attention (see kFlashAttnTileQ).
    small_fa_batches_ = p.embeddings && p.flash_attn != 0 && !model.offloaded();
}

Context::~Context() {
    scheduler_.reset();  // ends its requests and joins its thread
    llama_batch_free(batch_);
    if (ctx_) {
        llama_detach_threadpool(ctx_);
        llama_free(ctx_);
    }
    if (threadpool_batch_) ggml_threadpool_free(threadpool_batch_);
    if (threadpool_) ggml_threadpool_free(threadpool_);
}

bool Context::abort_callback(void *data) { return static_cast<Context *>(data)->abort_.load(); }

void Context::acquire() {
    nb::gil_scoped_release release;
    std::unique_lock<std::mutex> lock(lock_mutex_);
    lock_cv_.wait(lock, [this] { return !busy_; });
    busy_ = true;
}

bool Context::try_acquire() {
    std::lock_guard<std::mutex> lock(lock_mutex_);
    if (busy_) return false;
    busy_ = true;
    return true;
}

void Context::release() {
    {
        std::lock_guard<std::mutex> lock(lock_mutex_);
        busy_ = false;
    }
    lock_cv_.notify_one();
}

void Context::set_loras(const std::vector<std::pair<LoraAdapter *, float>> &loras) {
    if (loras == loras_) return;
    std::vector<llama_adapter_lora *> adapters;
    std::vector<float> scales;
    for (const auto &[adapter, scale] : loras) {
        adapters.push_back(adapter->get());
        scales.push_back(scale);
    }
    if (llama_set_adapters_lora(ctx_, adapters.data(), adapters.size(), scales.data()) != 0)
        throw std::invalid_argument("llama.cpp refused the LoRA adapters for this context");
    loras_ = loras;
    clear_cache();
}

void Context::clear_cache() {
    if (parallel()) {
        scheduler().clear_idle();
        return;
    }
    llama_memory_clear(llama_get_memory(ctx_), true);
    cached_.clear();
}

void Context::decode_tokens(const llama_token *tokens, size_t n, llama_pos pos0, bool logits_last, bool check_signals,
                            size_t logits_from) {
    const size_t n_batch = llama_n_batch(ctx_);
    for (size_t start = 0; start < n; start += n_batch) {
        const size_t count = std::min(n_batch, n - start);
        batch_.n_tokens = (int32_t)count;
        for (size_t i = 0; i < count; ++i) {
            batch_.token[i] = tokens[start + i];
            batch_.pos[i] = pos0 + (llama_pos)(start + i);
            batch_.n_seq_id[i] = 1;
            batch_.seq_id[i][0] = 0;
            batch_.logits[i] = start + i >= logits_from || (logits_last && (start + i == n - 1));
        }
        int rc = llama_decode(ctx_, batch_);
        if (rc != 0) {
            // The KV cache may now hold part of this batch: forget it all.
            clear_cache();
            if (rc == 2 || abort_.load()) throw std::runtime_error("decoding was cancelled");
            throw std::runtime_error("llama_decode failed with status " + std::to_string(rc));
        }
        cached_.insert(cached_.end(), tokens + start, tokens + start + count);
        if (check_signals && start + count < n) check_python_signals();
    }
}

size_t Context::load_prompt(const std::vector<llama_token> &tokens, bool check_signals, const PromptMedia *media) {
    if (tokens.empty()) throw std::invalid_argument("the prompt has no tokens");
    const size_t n_cells = tokens.size() + (media ? media->extra_cells() : 0);
    if (n_cells > n_ctx())
        throw std::invalid_argument("prompt has " + std::to_string(n_cells) + " tokens, more than the context size " +
                                    std::to_string(n_ctx()));
    check_prompt_tokens(model_, tokens, media);

    const size_t common = keep_prefix(0, cached_, tokens, media);
    if (media) decode_with_media(tokens, common, *media, check_signals);
    else decode_tokens(tokens.data() + common, tokens.size() - common, (llama_pos)common, true, check_signals);
    return common;
}

void Context::decode_with_media(const std::vector<llama_token> &tokens, size_t from, const PromptMedia &media,
                                bool check_signals) {
    size_t pos = from;
    while (pos < tokens.size()) {
        const MediaRun *run = media.next_run(pos);
        const size_t text_end = run ? run->start : tokens.size();
        if (pos < text_end) {
            decode_tokens(tokens.data() + pos, text_end - pos, (llama_pos)pos, text_end == tokens.size(), check_signals);
            pos = text_end;
        }
        if (!run) break;
        try {
            decode_media_run(*run, *media.projector, ctx_, 0, (llama_pos)pos, (int32_t)llama_n_batch(ctx_));
        } catch (...) {
            clear_cache();
            if (abort_.load()) throw std::runtime_error("decoding was cancelled");
            throw;
        }
        cached_.insert(cached_.end(), tokens.begin() + (long)run->start,
                       tokens.begin() + (long)(run->start + run->n_tokens));
        pos += run->n_tokens;
        if (check_signals && pos < tokens.size()) check_python_signals();
    }
}

void Context::decode_with_logits(const std::vector<llama_token> &tokens, size_t first_with_logits) {
    if (tokens.empty()) return;
    if (tokens.size() > llama_n_batch(ctx_)) throw std::invalid_argument("more tokens than one batch holds");
    if (cached_.size() + tokens.size() > n_ctx()) throw std::runtime_error("the context is full");
    decode_tokens(tokens.data(), tokens.size(), (llama_pos)cached_.size(), true, false, first_with_logits);
}

std::vector<float> Context::logits(const std::vector<llama_token> &tokens) {
    size_t first = 0;
    if (!embeddings_ && !parallel()) clear_cache();  // (eval refuses those contexts with the reason)
    return eval(tokens, true, first, "logits()");
}

std::vector<float> Context::eval(const std::vector<llama_token> &tokens, bool all_rows, size_t &first,
                                 const char *caller) {
    if (embeddings_) throw std::runtime_error("this context was created with embeddings=True and computes no logits");
    if (parallel()) throw std::runtime_error(std::string(caller) + " needs a context with n_parallel=1");
    if (tokens.empty()) throw std::invalid_argument("no tokens to evaluate");
    if (tokens.size() > n_ctx())
        throw std::invalid_argument("input has " + std::to_string(tokens.size()) +
                                    " tokens, more than the context size " + std::to_string(n_ctx()));
    for (llama_token t : tokens) model_.check_token(t);
    const size_t n_vocab = (size_t)model_.n_vocab();
    first = keep_prefix(0, cached_, tokens);
    std::vector<float> out;
    const size_t n_batch = llama_n_batch(ctx_);
    for (size_t start = first; start < tokens.size(); start += n_batch) {
        const size_t count = std::min(n_batch, tokens.size() - start);
        const bool last_batch = start + count == tokens.size();
        decode_tokens(tokens.data() + start, count, (llama_pos)start, true, true, all_rows ? 0 : SIZE_MAX);
        for (size_t i = all_rows ? 0 : count - 1; i < count && (all_rows || last_batch); ++i) {
            const float *row = llama_get_logits_ith(ctx_, all_rows ? (int32_t)i : -1);
            if (!row) throw std::runtime_error("llama.cpp returned no logits");
            out.insert(out.end(), row, row + n_vocab);
        }
    }
    if (!all_rows) first = tokens.size() - 1;
    return out;
}

std::string Context::save_state() {
    const size_t size = llama_state_seq_get_size(ctx_, 0);
    std::string data(size, '\0');
    const size_t written = llama_state_seq_get_data(ctx_, reinterpret_cast<uint8_t *>(data.data()), size, 0);
    if (written == 0 && size != 0) throw std::runtime_error("could not read the context state");
    data.resize(written);
    return data;
}

void Context::load_state(const std::string &data, const std::vector<llama_token> &tokens) {
    if (tokens.size() > n_ctx()) throw std::invalid_argument("the saved state holds more tokens than this context");
    for (llama_token t : tokens)
        if (t >= 0) model_.check_token(t);  // (negative: an image's placeholders, restored with its KV)
    llama_memory_seq_rm(llama_get_memory(ctx_), 0, -1, -1);
    cached_.clear();
    const size_t read = llama_state_seq_set_data(ctx_, reinterpret_cast<const uint8_t *>(data.data()), data.size(), 0);
    if (read == 0) {
        llama_memory_seq_rm(llama_get_memory(ctx_), 0, -1, -1);
        throw std::invalid_argument("the saved state does not fit this model and context");
    }
    cached_ = tokens;
}

Scheduler &Context::scheduler() {
    std::lock_guard<std::mutex> lock(scheduler_mutex_);
    if (!scheduler_) scheduler_ = std::make_unique<Scheduler>(*this);
    return *scheduler_;
}

void Context::truncate_seq(llama_seq_id seq, std::vector<llama_token> &tokens, size_t n) {
    if (n >= tokens.size()) return;
    if (!llama_memory_seq_rm(llama_get_memory(ctx_), seq, (llama_pos)n, -1)) {
        llama_memory_seq_rm(llama_get_memory(ctx_), seq, -1, -1);
        tokens.clear();
        return;
    }
    tokens.resize(n);
}

void Context::truncate(size_t n) { truncate_seq(0, cached_, n); }

size_t Context::keep_prefix(llama_seq_id seq, std::vector<llama_token> &tokens, const std::vector<llama_token> &prompt,
                            const PromptMedia *media) {
    size_t common = common_prefix(tokens, prompt);
    if (common == prompt.size()) --common;  // re-decode the last token to get its logits
    if (media) common = media->whole_prefix(common);
    truncate_seq(seq, tokens, common);
    return tokens.size();
}

// llama.cpp common's common_embd_normalize (what llama-server's embd_normalize does).
static void normalize_embedding(std::vector<float> &v, int mode) {
    double sum = 0.0;
    switch (mode) {
        case -1: sum = 1.0; break;
        case 0:
            for (float x : v) sum = std::max(sum, (double)std::fabs(x));
            sum /= 32760.0;  // the int16 range
            break;
        case 2:
            for (float x : v) sum += (double)x * x;
            sum = std::sqrt(sum);
            break;
        default:  // p-norm (1: taxicab)
            for (float x : v) sum += std::pow(std::fabs(x), mode);
            sum = std::pow(sum, 1.0 / mode);
            break;
    }
    const double scale = sum > 0.0 ? 1.0 / sum : 0.0;
    for (float &x : v) x = (float)(x * scale);
}

std::vector<std::vector<float>> Context::embed(const std::vector<std::vector<llama_token>> &inputs, int normalize,
                                               bool per_token) {
    if (!embeddings_) throw std::runtime_error("this context was created without embeddings=True");
    if (normalize < -1) throw std::invalid_argument("normalize must be -1 (none), 0 (max-abs), 1, 2 or a p-norm > 2");
    const bool rank = llama_pooling_type(ctx_) == LLAMA_POOLING_TYPE_RANK;
    const int n_embd = rank ? (int)std::max<uint32_t>(1, llama_model_n_cls_out(model_.get()))
                       : llama_model_n_embd_out(model_.get()) > 0 ? llama_model_n_embd_out(model_.get())
                                                                   : llama_model_n_embd(model_.get());
    const bool pooled = llama_pooling_type(ctx_) != LLAMA_POOLING_TYPE_NONE;
    if (per_token && pooled) throw std::invalid_argument("per-token embeddings need a context without pooling");
    const size_t limit = std::min<size_t>(llama_n_batch(ctx_), n_ctx());
    const size_t max_seqs = llama_n_seq_max(ctx_);  // at least kEmbedSequences (see the constructor)
    for (const auto &tokens : inputs) {
        if (tokens.empty()) throw std::invalid_argument("cannot embed an empty input");
        if (tokens.size() > limit)
            throw std::invalid_argument("input has " + std::to_string(tokens.size()) +
                                        " tokens, more than the batch/context size " + std::to_string(limit));
        for (llama_token t : tokens) model_.check_token(t);
    }
    const bool encoder_only = llama_model_has_encoder(model_.get()) && !llama_model_has_decoder(model_.get());
    clear_cache();
    // The order inputs are packed in: with small flash-attention batches, the short inputs
    // first (batches below kFlashAttnTileQ tokens), then the long ones (batches up to `limit`).
    std::vector<size_t> order(inputs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (small_fa_batches_)
        std::stable_partition(order.begin(), order.end(),
                              [&](size_t i) { return inputs[i].size() < kFlashAttnTileQ; });
    std::vector<std::vector<std::vector<float>>> by_index(inputs.size());  // each input's rows
    size_t next = 0;
    while (next < order.size()) {
        // Pack as many whole inputs as fit into one batch, one sequence each.
        const bool small = small_fa_batches_ && inputs[order[next]].size() < kFlashAttnTileQ;
        const size_t room = small ? kFlashAttnTileQ - 1 : limit;
        size_t first = next, n_tokens = 0;
        std::vector<int32_t> last_index;
        while (next < order.size() && next - first < max_seqs && n_tokens + inputs[order[next]].size() <= room) {
            const auto &tokens = inputs[order[next]];
            const llama_seq_id seq = (llama_seq_id)(next - first);
            for (size_t i = 0; i < tokens.size(); ++i) {
                const size_t k = n_tokens + i;
                batch_.token[k] = tokens[i];
                batch_.pos[k] = (llama_pos)i;
                batch_.n_seq_id[k] = 1;
                batch_.seq_id[k][0] = seq;
                batch_.logits[k] = (pooled || per_token) ? 1 : (i + 1 == tokens.size());
            }
            n_tokens += tokens.size();
            last_index.push_back((int32_t)n_tokens - 1);
            ++next;
        }
        batch_.n_tokens = (int32_t)n_tokens;
        const int rc = encoder_only ? llama_encode(ctx_, batch_) : llama_decode(ctx_, batch_);
        if (rc != 0) {
            clear_cache();
            throw std::runtime_error("embedding failed with status " + std::to_string(rc));
        }
        for (size_t s = 0; per_token && s < last_index.size(); ++s) {
            const size_t n = inputs[order[first + s]].size();
            for (size_t k = last_index[s] + 1 - n; k <= (size_t)last_index[s]; ++k) {
                const float *vec = llama_get_embeddings_ith(ctx_, (int32_t)k);
                if (!vec) {
                    clear_cache();
                    throw std::runtime_error("the model produced no embedding");
                }
                std::vector<float> v(vec, vec + n_embd);
                normalize_embedding(v, normalize);
                by_index[order[first + s]].push_back(std::move(v));
            }
        }
        for (size_t s = 0; !per_token && s < last_index.size(); ++s) {
            const float *vec = pooled ? llama_get_embeddings_seq(ctx_, (llama_seq_id)s)
                                      : llama_get_embeddings_ith(ctx_, last_index[s]);
            if (!vec) {
                clear_cache();
                throw std::runtime_error("the model produced no embedding");
            }
            std::vector<float> v(vec, vec + n_embd);
            if (!rank) normalize_embedding(v, normalize);
            by_index[order[first + s]].push_back(std::move(v));
        }
        clear_cache();
    }
    std::vector<std::vector<float>> out;
    for (auto &rows : by_index)
        for (auto &row : rows) out.push_back(std::move(row));
    return out;
}

}  // namespace llama_native
