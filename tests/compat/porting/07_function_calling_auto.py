# chatml-function-calling with tool_choice="auto": the model picks a message or a call
from llama_cpp import Llama

llm = Llama(model_path=MODEL, chat_format="chatml-function-calling", n_ctx=1024, verbose=False)
tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
out = llm.create_chat_completion(messages=[{"role": "user", "content": "What is the weather in Paris?"}],
                                 tools=tools, tool_choice="auto", temperature=0, max_tokens=32)
message = out["choices"][0]["message"]
print(json.dumps([message.get("content"), [c["function"] for c in message.get("tool_calls") or []], message.get("function_call")]))
