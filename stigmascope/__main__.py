from stigmascope.cli import main

main()
