// Projector loading, prompts with images, and decoding an image's embeddings
// (see multimodal.h).
#include "multimodal.h"

#include "common.h"

#include <mtmd-helper.h>
#include <mtmd.h>

#include <nanobind/nanobind.h>

#include <algorithm>
#include <stdexcept>

namespace nb = nanobind;

namespace llama_native {

namespace {

std::string captured_reason(const LogCapture &capture) {
    std::string reason = capture.text();
    return reason.empty() ? "" : ": " + reason;
}

uint64_t fnv1a(const std::string &text, uint64_t seed) {
    uint64_t h = 1469598103934665603ull ^ seed;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

uint64_t mix(uint64_t x) {  // splitmix64's finalizer
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

llama_token media_placeholder(const std::string &id, size_t offset) {
    const uint64_t h = mix(fnv1a(id, 0) + offset);
    return -1 - (llama_token)(h & 0x3fffffff);  // in -2^30 .. -1: never a vocabulary id
}

Projector::Projector(const Model &model, const std::string &path, int n_threads, bool use_gpu) {
    mtmd_context_params params = mtmd_context_params_default();
    params.use_gpu = use_gpu;
    params.n_threads = n_threads;
    params.print_timings = false;
    params.warmup = false;
    LogCapture capture;
    mtmd_helper_log_set(log_bridge(), nullptr);
    {
        nb::gil_scoped_release release;
        ctx_ = mtmd_init_from_file(path.c_str(), model.get(), params);
    }
    if (!ctx_) throw std::invalid_argument("could not load the projector " + path + captured_reason(capture));
}

Projector::~Projector() {
    if (ctx_) mtmd_free(ctx_);
}

const float *Projector::image_embeddings(const mtmd_input_chunk *chunk, const std::string &id, size_t n_floats) {
    if (!id.empty()) {
        auto found = cache_index_.find(id);
        if (found != cache_index_.end() && found->second->second.size() == n_floats) {
            cache_.splice(cache_.end(), cache_, found->second);  // now the most recently used
            ++n_cache_hits_;
            return found->second->second.data();
        }
    }
    LogCapture capture;
    if (mtmd_encode_chunk(ctx_, chunk) != 0)
        throw std::runtime_error("the projector failed to encode an image" + captured_reason(capture));
    ++n_encoded_;
    float *embd = mtmd_get_output_embd(ctx_);
    const size_t bytes = n_floats * sizeof(float);
    if (id.empty() || bytes > cache_limit_) return embd;
    if (auto old = cache_index_.find(id); old != cache_index_.end()) {  // same id, other size: replace it
        cache_bytes_ -= old->second->second.size() * sizeof(float);
        cache_.erase(old->second);
        cache_index_.erase(old);
    }
    evict_to(cache_limit_ - bytes);
    cache_.emplace_back(id, std::vector<float>(embd, embd + n_floats));
    cache_index_[id] = std::prev(cache_.end());
    cache_bytes_ += bytes;
    return cache_.back().second.data();
}

void Projector::evict_to(size_t limit) {
    while (cache_bytes_ > limit && !cache_.empty()) {
        cache_bytes_ -= cache_.front().second.size() * sizeof(float);
        cache_index_.erase(cache_.front().first);
        cache_.pop_front();
    }
}

size_t Projector::cache_limit() const {
    std::lock_guard<std::mutex> lock(encode_mutex_);
    return cache_limit_;
}

void Projector::set_cache_limit(size_t bytes) {
    std::lock_guard<std::mutex> lock(encode_mutex_);
    cache_limit_ = bytes;
    evict_to(bytes);
}

size_t Projector::cache_bytes() const {
    std::lock_guard<std::mutex> lock(encode_mutex_);
    return cache_bytes_;
}

int64_t Projector::n_encoded() const {
    std::lock_guard<std::mutex> lock(encode_mutex_);
    return n_encoded_;
}

int64_t Projector::n_cache_hits() const {
    std::lock_guard<std::mutex> lock(encode_mutex_);
    return n_cache_hits_;
}

bool Projector::supports_vision() const { return mtmd_support_vision(ctx_); }
bool Projector::uses_mrope() const { return mtmd_decode_use_mrope(ctx_); }

size_t PromptMedia::n_media_tokens() const {
    size_t n = 0;
    for (const auto &run : runs) n += run.n_embeddings;
    return n;
}

size_t PromptMedia::extra_cells() const {
    size_t n = 0;
    for (const auto &run : runs) n += run.n_embeddings - run.n_tokens;
    return n;
}

size_t PromptMedia::extra_cells_before(size_t n) const {
    size_t extra = 0;
    for (const auto &run : runs)
        if (run.start + run.n_tokens <= n) extra += run.n_embeddings - run.n_tokens;
    return extra;
}

const MediaRun *PromptMedia::run_containing(size_t pos) const {
    for (const auto &run : runs)
        if (pos >= run.start && pos < run.start + run.n_tokens) return &run;
    return nullptr;
}

size_t PromptMedia::whole_prefix(size_t n) const {
    const MediaRun *run = run_containing(n);
    return run ? run->start : n;
}

const MediaRun *PromptMedia::next_run(size_t pos) const {
    for (const auto &run : runs)
        if (run.start >= pos) return &run;
    return nullptr;
}

void PromptMedia::check(const std::vector<llama_token> &tokens) const {
    for (const auto &run : runs) {
        if (run.start + run.n_tokens > tokens.size())
            throw std::invalid_argument("an image's tokens run past the end of the prompt");
        for (size_t i = 0; i < run.n_tokens; ++i)
            if (tokens[run.start + i] != media_placeholder(run.id, i))
                throw std::invalid_argument("the prompt's tokens do not hold its images where they were tokenized");
    }
    for (size_t i = 0; i < tokens.size(); ++i)
        if (tokens[i] < 0 && !run_containing(i))
            throw std::out_of_range("token id " + std::to_string(tokens[i]) + " is outside the vocabulary");
    if (!runs.empty() && runs.back().start + runs.back().n_tokens == tokens.size())
        throw std::invalid_argument("a prompt cannot end with an image: the model needs text after it to answer");
}

void check_prompt_tokens(const Model &model, const std::vector<llama_token> &tokens, const PromptMedia *media) {
    if (media) media->check(tokens);  // the negative ids
    for (llama_token t : tokens)
        if (t >= 0 || !media) model.check_token(t);
}

std::pair<std::vector<llama_token>, std::shared_ptr<PromptMedia>> tokenize_with_media(
    const std::shared_ptr<Projector> &projector, const std::vector<std::string> &texts,
    const std::vector<ImageInput> &images, bool add_special, bool parse_special) {
    if (texts.size() != images.size() + 1)
        throw std::invalid_argument("tokenize_with_media needs one more text than images");
    std::vector<std::unique_ptr<mtmd_bitmap, decltype(&mtmd_bitmap_free)>> bitmaps;
    for (const auto &image : images) {
        if (image.width == 0 || image.height == 0 || image.rgb.size() != (size_t)image.width * image.height * 3)
            throw std::invalid_argument("an image needs width * height * 3 bytes of RGB pixels");
        mtmd_bitmap *bitmap =
            mtmd_bitmap_init(image.width, image.height, reinterpret_cast<const unsigned char *>(image.rgb.data()));
        if (!bitmap) throw std::runtime_error("could not make a bitmap of the image");
        mtmd_bitmap_set_id(bitmap, image.id.c_str());
        bitmaps.emplace_back(bitmap, &mtmd_bitmap_free);
    }
    std::vector<mtmd_input_text> text_parts(texts.size());
    std::vector<mtmd_input_part> parts;
    for (size_t i = 0; i < texts.size(); ++i) {
        text_parts[i] = {texts[i].data(), texts[i].size(), false, parse_special};
        if (!texts[i].empty()) parts.push_back({&text_parts[i], nullptr});
        if (i < images.size()) parts.push_back({nullptr, bitmaps[i].get()});
    }
    std::vector<const mtmd_input_part *> part_ptrs;
    for (const auto &p : parts) part_ptrs.push_back(&p);

    std::unique_ptr<mtmd_input_chunks, decltype(&mtmd_input_chunks_free)> chunks(mtmd_input_chunks_init(),
                                                                                 &mtmd_input_chunks_free);
    LogCapture capture;
    int32_t rc;
    {
        nb::gil_scoped_release release;
        rc = mtmd_tokenize_from_parts(projector->get(), chunks.get(), part_ptrs.data(), part_ptrs.size(), add_special);
    }
    if (rc != 0) throw std::invalid_argument("the projector could not prepare the image" + captured_reason(capture));

    auto media = std::make_shared<PromptMedia>();
    media->projector = projector;
    const bool mrope = projector->uses_mrope();
    std::vector<llama_token> tokens;
    for (size_t i = 0; i < mtmd_input_chunks_size(chunks.get()); ++i) {
        const mtmd_input_chunk *chunk = mtmd_input_chunks_get(chunks.get(), i);
        const auto type = mtmd_input_chunk_get_type(chunk);
        if (type == MTMD_INPUT_CHUNK_TYPE_TEXT) {
            size_t n = 0;
            const llama_token *text = mtmd_input_chunk_get_tokens_text(chunk, &n);
            tokens.insert(tokens.end(), text, text + n);
            continue;
        }
        if (type != MTMD_INPUT_CHUNK_TYPE_IMAGE) throw std::invalid_argument("only images are supported as media");
        MediaRun run;
        run.start = tokens.size();
        run.n_embeddings = mtmd_input_chunk_get_n_tokens(chunk);
        run.n_tokens = mrope ? (size_t)std::max<llama_pos>(1, mtmd_input_chunk_get_n_pos(chunk)) : run.n_embeddings;
        if (run.n_tokens > run.n_embeddings) run.n_tokens = run.n_embeddings;
        const char *id = mtmd_input_chunk_get_id(chunk);  // the id given to its bitmap: the pixels' hash
        run.id = id ? id : "";
        run.chunk.reset(mtmd_input_chunk_copy(chunk), &mtmd_input_chunk_free);
        for (size_t k = 0; k < run.n_tokens; ++k) tokens.push_back(media_placeholder(run.id, k));
        media->runs.push_back(std::move(run));
    }
    return {std::move(tokens), std::move(media)};
}

void decode_media_run(const MediaRun &run, Projector &projector, llama_context *lctx, llama_seq_id seq,
                      llama_pos pos0, int32_t n_batch) {
    std::lock_guard<std::mutex> lock(projector.encode_mutex());
    const size_t n_floats = run.n_embeddings * (size_t)llama_model_n_embd_inp(llama_get_model(lctx));
    // mtmd's helper takes a mutable pointer but only reads the embeddings
    float *embd = const_cast<float *>(projector.image_embeddings(run.chunk.get(), run.id, n_floats));
    LogCapture capture;
    llama_pos new_n_past = 0;
    const int32_t rc = mtmd_helper_decode_image_chunk(projector.get(), lctx, run.chunk.get(), embd, pos0, seq,
                                                      n_batch, &new_n_past, nullptr, nullptr);
    if (rc != 0) throw std::runtime_error("decoding an image's embeddings failed" + captured_reason(capture));
}

}  // namespace llama_native
