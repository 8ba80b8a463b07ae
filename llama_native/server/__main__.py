"""``python -m llama_native.server --model PATH`` (the same as ``llama-native serve``)."""

import sys

from . import main

sys.exit(main())
