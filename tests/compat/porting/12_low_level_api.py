# README "Low-level API": tokenize a prompt through the ctypes bindings
import llama_cpp
import ctypes
llama_cpp.llama_backend_init()  # Must be called once at the start of each program
model_params = llama_cpp.llama_model_default_params()
ctx_params = llama_cpp.llama_context_default_params()
ctx_params.n_ctx = 256
prompt = b"Q: Name the planets in the solar system? A: "
model = llama_cpp.llama_model_load_from_file(MODEL.encode(), model_params)
ctx = llama_cpp.llama_init_from_model(model, ctx_params)
vocab = llama_cpp.llama_model_get_vocab(model)
max_tokens = ctx_params.n_ctx
tokens = (llama_cpp.llama_token * int(max_tokens))()
n_tokens = llama_cpp.llama_tokenize(vocab, prompt, len(prompt), tokens, max_tokens, True, False)
bos = llama_cpp.llama_token_bos(vocab)
ftype = llama_cpp.llama_model_ftype(model) if hasattr(llama_cpp, "llama_model_ftype") else None
llama_cpp.llama_free(ctx)
llama_cpp.llama_model_free(model)
print(json.dumps([list(tokens[:n_tokens]), bos, llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_1]))
