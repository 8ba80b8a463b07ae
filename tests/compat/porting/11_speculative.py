# README "Speculative Decoding": prompt lookup drafting gives the greedy output unchanged
from llama_cpp import Llama
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

llm = Llama(model_path=MODEL, draft_model=LlamaPromptLookupDecoding(num_pred_tokens=10), n_ctx=256, verbose=False)
out = llm("def add(a, b):\n    return a + b\n\ndef add(a, b):", max_tokens=24, temperature=0)
print(json.dumps(out["choices"][0]["text"]))
