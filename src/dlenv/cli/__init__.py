"""The command line: one Typer app per command module, assembled in `dlenv.cli.app`.

Command modules stay thin and import nothing heavy at module level, so that `dlenv --help` and
`dlenv --version` start fast.
"""
