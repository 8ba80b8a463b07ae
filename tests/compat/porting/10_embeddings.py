# README "Embeddings": create_embedding (a model without pooling: one vector per token there)
from llama_cpp import Llama

llm = Llama(model_path=MODEL, embedding=True, n_ctx=128, verbose=False)
out = llm.create_embedding("Hello, world!")
emb = out["data"][0]["embedding"]
shape = [len(emb), len(emb[0])] if emb and isinstance(emb[0], list) else [len(emb)]
print(json.dumps([shape, out["usage"]]))
