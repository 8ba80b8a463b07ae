"""The real model the real-model benchmarks run: ``--model PATH`` or SmolLM2-135M-Instruct.

Shared by ``bench_extraction``, ``bench_tool_calls`` and ``bench_whitespace_rules``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llama_native.testing import SMOLLM2_MISSING, smollm2_model_path


def real_model_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with ``--model`` (default: SmolLM2) and ``--threads`` (default 2)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", type=Path, default=None, help="a GGUF (default: SmolLM2-135M-Instruct)")
    parser.add_argument("--threads", type=int, default=2)
    return parser


def real_model(args: argparse.Namespace) -> Path:
    """``--model``, else SmolLM2's GGUF; exits saying how to install it when it is missing."""
    model = args.model or smollm2_model_path()
    if model is None:
        sys.exit(SMOLLM2_MISSING)
    return Path(model)
