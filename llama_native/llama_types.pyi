from llama_native.compat.llama_types import *  # noqa: F403  (for type checkers; see compat/__init__.py)
