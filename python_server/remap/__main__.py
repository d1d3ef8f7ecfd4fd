"""`python -m remap` runs the CLI."""

from remap.cli.main import main

raise SystemExit(main())
