"""`python -m chapters.ch3_depth_width`: run chapter 3 with figures drawn to files."""

import sys

from chapters.ch3_depth_width import main
from companion.run.runner import use_headless_backend

if __name__ == "__main__":
    use_headless_backend()  # the command line draws to files; a notebook keeps its backend
    sys.exit(main())
