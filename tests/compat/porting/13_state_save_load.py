# save_state / load_state: the same continuation after restoring
from llama_cpp import Llama

llm = Llama(model_path=MODEL, n_ctx=256, verbose=False)
llm.eval(llm.tokenize(b"The capital of France is"))
state = llm.save_state()
first = [llm.sample(temp=0)]
llm.eval(first)
llm.load_state(state)
again = llm.sample(temp=0)
print(json.dumps([first[0], again, state.n_tokens, llm.detokenize(first).decode()]))
