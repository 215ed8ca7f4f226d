from sigil_scan.cli import main

main()
