from llama_native.compat.llama_chat_format import *  # noqa: F403  (for type checkers; see compat/__init__.py)
