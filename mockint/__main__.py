from mockint.cli.main import cli

cli(prog_name="mockint")
