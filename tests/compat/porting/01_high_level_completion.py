# README "High-level API": a text completion with stop strings and echo
from llama_cpp import Llama

llm = Llama(model_path=MODEL, n_ctx=256, verbose=False)
output = llm("Q: Name the planets in the solar system? A: ", max_tokens=16, stop=["Q:", "\n"], echo=True, temperature=0)
usage = output["usage"]
print(json.dumps([output["choices"][0]["text"], output["choices"][0]["finish_reason"], [usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]]]))
