"""The `remap` command line: argument parsing and printing only, over remap.service."""
