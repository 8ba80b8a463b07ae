# README "Function Calling": chatml-function-calling with a named tool_choice
from llama_cpp import Llama

llm = Llama(model_path=MODEL, chat_format="chatml-function-calling", n_ctx=1024, verbose=False)
out = llm.create_chat_completion(
    messages=[
        {"role": "system", "content": "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions. The assistant calls functions with appropriate input when necessary"},
        {"role": "user", "content": "Extract Jason is 25 years old"},
    ],
    tools=[{"type": "function", "function": {"name": "UserDetail", "parameters": {"type": "object", "title": "UserDetail",
           "properties": {"name": {"title": "Name", "type": "string"}, "age": {"title": "Age", "type": "integer"}}, "required": ["name", "age"]}}}],
    tool_choice={"type": "function", "function": {"name": "UserDetail"}},
    temperature=0, max_tokens=40,
)
message = out["choices"][0]["message"]
print(json.dumps([message["function_call"], [c["function"] for c in message["tool_calls"]], out["choices"][0]["finish_reason"]]))
