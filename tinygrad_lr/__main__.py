"""``python -m tinygrad_lr``: the same command line as ``tinygrad-lr``."""

import sys

from .cli import main

sys.exit(main())
