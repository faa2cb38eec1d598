"""Start FOMM Studio: `python main.py [--camera SOURCE] [--avatar IMG] ...` (see README)."""

import sys

from trainer.cpu_threads import apply_thread_policy

apply_thread_policy()  # before the GUI imports torch: idle OpenMP threads sleep (see trainer.cpu_threads)

from ui.app import main  # noqa: E402  (must come after the thread policy)

if __name__ == "__main__":
    sys.exit(main())
