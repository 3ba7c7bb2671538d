"""`python -m libota ...` is the `libota` command."""
import sys

from .cli import main

sys.exit(main())
