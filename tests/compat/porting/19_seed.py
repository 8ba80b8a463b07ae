# sampling with a seed: set_seed, then successive calls advance the RNG
from llama_cpp import Llama

llm = Llama(model_path=MODEL, n_ctx=128, verbose=False)
llm.set_seed(1337)
a = [llm("Pick a number:", max_tokens=3, temperature=0.8)["choices"][0]["text"] for _ in range(2)]
b = llm("Pick a number:", max_tokens=3, temperature=0.8, seed=42)["choices"][0]["text"]
print(json.dumps([a[0], b, a[0] != a[1]]))
