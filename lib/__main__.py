"""`python -m lib ...`: the command-line interface."""

from lib.cli import main

raise SystemExit(main())
