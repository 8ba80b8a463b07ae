# docs "JSON Schema Mode" with a grammar: LlamaGrammar.from_json_schema and json_schema_to_gbnf
from llama_cpp import Llama, LlamaGrammar
from llama_cpp.llama_grammar import json_schema_to_gbnf

schema = {
    "type": "object",
    "properties": {
        "nickname": {"type": "string"},
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "extra": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
    "required": ["name", "age"],
}
texts = [json_schema_to_gbnf(json.dumps(schema)), json_schema_to_gbnf(json.dumps(schema), ["age", "tags"])]
llm = Llama(model_path=MODEL, n_ctx=512, verbose=False)
grammar = LlamaGrammar.from_json_schema(json.dumps(schema))
prompt = "Jason Smith, whom everybody calls Jay, is 25 years old. As JSON:"
out = llm(prompt, grammar=grammar, max_tokens=60, temperature=0)
print(json.dumps([texts, out["choices"][0]["text"]]))
