# README: chat_format="chatml"
from llama_cpp import Llama

llm = Llama(model_path=MODEL, chat_format="chatml", n_ctx=512, verbose=False)
out = llm.create_chat_completion(messages=[{"role": "user", "content": "Name a color."}], temperature=0, max_tokens=12)
print(json.dumps(out["choices"][0]["message"]))
