# llama_chat_format: format functions and the handler registry
from llama_cpp import Llama
from llama_cpp.llama_chat_format import format_openchat, format_llama3, get_chat_completion_handler

messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
llm = Llama(model_path=MODEL, chat_format="openchat", n_ctx=256, verbose=False)
out = llm.create_chat_completion(messages, temperature=0, max_tokens=8)
print(json.dumps([format_openchat(messages=messages).prompt, format_llama3(messages=messages).prompt,
                  callable(get_chat_completion_handler("zephyr")), out["choices"][0]["message"]["content"]]))
