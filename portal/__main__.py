"""``python -m portal`` runs the ``odatis-portal`` command line."""

import sys

from portal.cli import main

sys.exit(main())
