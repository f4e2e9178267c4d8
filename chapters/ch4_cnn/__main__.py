"""`python -m chapters.ch4_cnn`: run chapter 4 from the command line."""

import sys

from chapters.ch4_cnn import main
from companion.run.runner import use_headless_backend

use_headless_backend()  # the command line draws to files; a notebook keeps its backend
sys.exit(main())
