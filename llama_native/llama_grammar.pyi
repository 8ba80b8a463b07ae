from llama_native.compat.llama_grammar import *  # noqa: F403  (for type checkers; see compat/__init__.py)
