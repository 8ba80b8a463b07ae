from llama_native.compat.mtmd_cpp import *  # noqa: F403  (for type checkers; see compat/__init__.py)
