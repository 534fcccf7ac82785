from mockint.cli.main import main

main()
