"""Command line: `python -m bot --help` lists every subcommand."""
