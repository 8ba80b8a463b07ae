"""llama.cpp's own tools from the same pinned source, for benchmarks.

They are built once into the llama-native cache by
:mod:`llama_native.llama_cpp_tools` (shared with the tests that compare
outputs with llama-server), with ccache when available.
"""

from llama_native.llama_cpp_tools import LlamaServer, build_llama_tool  # noqa: F401
