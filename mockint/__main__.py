from mockint.cli import cli

cli()
