from mockint.cli import cli

cli(prog_name="mockint")
