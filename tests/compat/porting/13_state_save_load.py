# save_state / load_state: the same continuation after restoring a saved context
from llama_cpp import Llama

llm = Llama(model_path=MODEL, n_ctx=256, verbose=False)
llm.eval(llm.tokenize(b"The capital of France is"))
state = llm.save_state()
paris = llm.tokenize(b" Paris", add_bos=False)
llm.eval(paris)
first = llm.sample(temp=0)
llm.load_state(state)
llm.eval(paris)
again = llm.sample(temp=0)
print(json.dumps([first, again, state.n_tokens, llm.n_tokens]))
