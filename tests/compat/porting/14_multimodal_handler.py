# README "Multi-modal Models": constructing a handler with a projector
from llama_cpp.llama_chat_format import Llava15ChatHandler

chat_handler = Llava15ChatHandler(clip_model_path=PROJECTOR)
print(json.dumps([type(chat_handler).__name__, chat_handler.clip_model_path == PROJECTOR]))
