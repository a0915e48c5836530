"""python3 -m hsprobe.wire RUNDIR [--json] [--write] (see hsprobe.wire.cli)."""
import sys

from hsprobe.wire.cli import main

sys.exit(main())
