"""``python -m remap.lsp``: the language server without the CLI's imports (fastest start)."""

from remap.lsp.cli import main

raise SystemExit(main())
