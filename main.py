"""Start FOMM Studio: `python main.py [--camera SOURCE] [--avatar IMG] ...` (see README)."""

import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
