# streaming a completion and a chat
from llama_cpp import Llama

llm = Llama(model_path=MODEL, n_ctx=256, verbose=False)
text = [c["choices"][0]["text"] for c in llm("Once upon a time", max_tokens=10, stream=True, temperature=0)]
deltas = [c["choices"][0]["delta"] for c in llm.create_chat_completion(
    [{"role": "user", "content": "Say hi"}], max_tokens=6, stream=True, temperature=0)]
print(json.dumps([text, deltas]))
