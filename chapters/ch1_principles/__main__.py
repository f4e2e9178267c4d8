"""`python -m chapters.ch1_principles`: run chapter 1, figures to files."""

import sys

from chapters.ch1_principles import main
from companion.run.runner import use_headless_backend

use_headless_backend()  # the command line draws to files; a notebook keeps its backend
sys.exit(main())
