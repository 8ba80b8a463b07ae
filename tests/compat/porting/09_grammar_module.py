# llama_grammar's sample grammars and SchemaConverter
from llama_cpp import Llama
from llama_cpp.llama_grammar import ARITHMETIC_GBNF, LlamaGrammar, SchemaConverter

converter = SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
converter.visit(converter.resolve_refs({"type": "object", "properties": {"n": {"type": "integer"}}}, "x"), "")
llm = Llama(model_path=MODEL, n_ctx=256, verbose=False)
out = llm("2 + 2 =", grammar=LlamaGrammar.from_string(ARITHMETIC_GBNF), max_tokens=8, temperature=0)
print(json.dumps([converter.format_grammar(), out["choices"][0]["text"]]))
