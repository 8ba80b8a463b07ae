# README "Chat Completion": the GGUF's own chat template
from llama_cpp import Llama

llm = Llama(model_path=MODEL, n_ctx=512, verbose=False)
out = llm.create_chat_completion(
    messages=[
        {"role": "system", "content": "You are an assistant who perfectly describes images."},
        {"role": "user", "content": "Describe this image in detail please."},
    ],
    temperature=0, max_tokens=20,
)
usage = out["usage"]
print(json.dumps([out["choices"][0]["message"], out["choices"][0]["finish_reason"], [usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]]]))
