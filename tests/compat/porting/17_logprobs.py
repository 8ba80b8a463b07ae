# completion logprobs
from llama_cpp import Llama

llm = Llama(model_path=MODEL, n_ctx=256, logits_all=True, verbose=False)
out = llm("The sky is", max_tokens=4, logprobs=2, temperature=0)
lp = out["choices"][0]["logprobs"]
print(json.dumps([lp["tokens"], [round(float(x), 2) for x in lp["token_logprobs"]], [sorted(t) for t in lp["top_logprobs"]]]))
