# tokenize / detokenize round trips
from llama_cpp import Llama

llm = Llama(model_path=MODEL, vocab_only=True, verbose=False)
out = []
for text in [b"Hello world", b" leading space", b"<|im_start|>user", b"\n\ttabs"]:
    ids = llm.tokenize(text, add_bos=True, special=True)
    out.append([ids, llm.detokenize(ids).decode(), llm.tokenize(text, add_bos=False)])
print(json.dumps([out, llm.n_vocab(), llm.token_bos(), llm.token_eos()]))
