"""``python -m portal`` runs the ``odatis-portal`` command line."""

import sys

from portal.cli import main

if __name__ == "__main__":  # importing this module (e.g. from a URL) must not run the CLI
    sys.exit(main())
