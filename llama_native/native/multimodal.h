// Images through llama.cpp's libmtmd: a projector (the `mmproj` GGUF beside
// a language model) turns a picture into embeddings that the model reads in
// place of tokens.
//
// A prompt with images is a token list in which each image stands as a run
// of placeholder ids, negative so they never collide with the vocabulary,
// derived from the image's hash and the position in the run.  The KV prefix
// reuse, the prompt cache and the scheduler's slot matching compare token
// lists, so an image shares a cached prefix exactly when it is the same
// picture.  `PromptMedia` says where the runs are and holds mtmd's chunks to
// decode them.
#pragma once

#include "model.h"

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

struct mtmd_context;
struct mtmd_input_chunk;

namespace llama_native {

class Projector {
  public:
    // Loads `path` for `model` (which must outlive it); std::invalid_argument
    // (with mtmd's reason) when it cannot, e.g. when its embedding width is
    // not the model's.
    Projector(const Model &model, const std::string &path, int n_threads, bool use_gpu);
    ~Projector();
    Projector(const Projector &) = delete;
    Projector &operator=(const Projector &) = delete;

    mtmd_context *get() const { return ctx_; }
    bool supports_vision() const;
    bool uses_mrope() const;
    // Serializes encodes (mtmd's encoder is not thread-safe) and guards the embedding cache.
    std::mutex &encode_mutex() { return encode_mutex_; }

    // The embeddings of an image chunk (`n_floats` of them): from the cache of
    // encoded images when an image with the same `id` (its pixels' hash) was
    // encoded before, else encoded now and kept, least recently used first out,
    // within cache_limit() bytes.  The caller holds encode_mutex() while it
    // reads the result.  An empty `id` is never cached.
    const float *image_embeddings(const mtmd_input_chunk *chunk, const std::string &id, size_t n_floats);
    size_t cache_limit() const;
    void set_cache_limit(size_t bytes);  // 0: no cache
    size_t cache_bytes() const;
    int64_t n_encoded() const;     // images the encoder ran on
    int64_t n_cache_hits() const;  // images served from the cache

    // Default cache_limit(): 256 MiB (a 256-token image of a 2048-wide model takes 2 MiB).
    static constexpr size_t kDefaultCacheLimit = size_t(256) << 20;

  private:
    void evict_to(size_t limit);

    mtmd_context *ctx_ = nullptr;
    mutable std::mutex encode_mutex_;
    using CacheEntry = std::pair<std::string, std::vector<float>>;
    std::list<CacheEntry> cache_;  // most recently used last
    std::unordered_map<std::string, std::list<CacheEntry>::iterator> cache_index_;
    size_t cache_bytes_ = 0, cache_limit_ = kDefaultCacheLimit;
    int64_t n_encoded_ = 0, n_cache_hits_ = 0;
};

// One image of a prompt: its chunk and where its placeholder run starts.
// The run has one placeholder per position the image takes: its embedding
// count, or, for models that place images with M-RoPE (Qwen2-VL and kin),
// the positions it advances (max of its grid's width and height), so that a
// token's index in the list stays its position.
struct MediaRun {
    size_t start = 0;
    size_t n_tokens = 0;      // placeholders (positions)
    size_t n_embeddings = 0;  // what the image really feeds the model (KV cells, usage)
    std::string id;  // the image's hash
    std::shared_ptr<mtmd_input_chunk> chunk;
};

struct PromptMedia {
    std::shared_ptr<Projector> projector;
    std::vector<MediaRun> runs;  // by start, not overlapping

    size_t n_media_tokens() const;  // embeddings of all images
    // KV cells beyond the token list's length (M-RoPE images take fewer positions than cells).
    size_t extra_cells() const;
    // The same for the images wholly within the first `n` placeholders and tokens.
    size_t extra_cells_before(size_t n) const;
    // The run containing position `pos`, or nullptr.
    const MediaRun *run_containing(size_t pos) const;
    // `n`, or the start of the image that a prefix of `n` tokens would cut
    // (a cached prefix holds an image whole or not at all).
    size_t whole_prefix(size_t n) const;
    // The first run starting at or after `pos`, or nullptr.
    const MediaRun *next_run(size_t pos) const;
    // Whether each negative token of `tokens` lies in a run (and the runs fit).
    void check(const std::vector<llama_token> &tokens) const;
};

// An image's decoded pixels, as the caller hands them over.
struct ImageInput {
    uint32_t width = 0, height = 0;
    std::string rgb;  // width * height * 3 bytes
    std::string id;   // a hash of the picture (SHA-256 hex)
};

// Tokenize `texts[0] image[0] texts[1] image[1] ... texts[n]` (one more text
// than images): the token list with each image's placeholder run, and the
// runs.  `add_special` adds the BOS (EOS) tokens as the model's tokenizer does.
std::pair<std::vector<llama_token>, std::shared_ptr<PromptMedia>> tokenize_with_media(
    const std::shared_ptr<Projector> &projector, const std::vector<std::string> &texts,
    const std::vector<ImageInput> &images, bool add_special, bool parse_special);

// Check a prompt's ids: vocabulary tokens, and (with `media`) its images'
// placeholders where they belong.  std::out_of_range / std::invalid_argument.
void check_prompt_tokens(const Model &model, const std::vector<llama_token> &tokens, const PromptMedia *media);

// The placeholder id at `offset` in the run of the image whose hash is `id`.
llama_token media_placeholder(const std::string &id, size_t offset);

// Encode `run`'s image and decode its embeddings into sequence `seq` of
// `lctx` at positions pos0.., `n_batch` at a time.  Throws on failure.
void decode_media_run(const MediaRun &run, Projector &projector, llama_context *lctx, llama_seq_id seq,
                      llama_pos pos0, int32_t n_batch);

}  // namespace llama_native
