"""``python -m hsrcount``: the same as the ``hsrcount`` command."""
import sys

from hsrcount.cli import main

sys.exit(main())
