import sys

from sigil_scan.cli import main

sys.exit(main())
