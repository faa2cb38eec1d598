"""`python3 -m trainer.distill ...` (see trainer.distill.cli)."""

import sys

from trainer.distill.cli import main

if __name__ == "__main__":
    sys.exit(main())
