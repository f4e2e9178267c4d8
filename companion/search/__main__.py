"""`python -m companion.search`: see companion/search/cli.py."""

import sys

from companion.search.cli import main

sys.exit(main())
