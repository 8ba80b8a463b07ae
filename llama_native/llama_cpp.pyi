from llama_native.compat.llama_cpp import *  # noqa: F403  (for type checkers; see compat/__init__.py)
