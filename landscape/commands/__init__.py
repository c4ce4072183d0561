"""One module per ``landscape`` subcommand; see `landscape.cli`."""
