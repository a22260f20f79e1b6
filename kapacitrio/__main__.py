"""`python -m kapacitrio`: the command line."""

from kapacitrio.cli import main

raise SystemExit(main())
