# README "JSON Schema Mode": response_format with a schema
from llama_cpp import Llama

llm = Llama(model_path=MODEL, chat_format="chatml", n_ctx=512, verbose=False)
out = llm.create_chat_completion(
    messages=[
        {"role": "system", "content": "You are a helpful assistant that outputs in JSON."},
        {"role": "user", "content": "Who won the world series in 2020"},
    ],
    response_format={"type": "json_object", "schema": {"type": "object", "properties": {"team_name": {"type": "string"}}, "required": ["team_name"]}},
    temperature=0.0, max_tokens=24,
)
print(json.dumps(out["choices"][0]["message"]["content"]))
