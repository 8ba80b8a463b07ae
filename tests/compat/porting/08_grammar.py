# docs "Grammars": a GBNF grammar constrains a completion
from llama_cpp import Llama, LlamaGrammar

llm = Llama(model_path=MODEL, n_ctx=256, verbose=False)
grammar = LlamaGrammar.from_string('root ::= ("yes" | "no") " because " [a-z ]+')
out = llm("Is the sky blue? Answer:", grammar=grammar, max_tokens=12, temperature=0)
print(json.dumps(out["choices"][0]["text"]))
