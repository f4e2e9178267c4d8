"""`python -m chapters.ch2_inside`: run chapter 2, drawing figures to files."""

import sys

from chapters.ch2_inside import main
from companion.run.runner import use_headless_backend

use_headless_backend()  # the command line draws to files; a notebook keeps its backend
sys.exit(main())
