"""`python -m bus.cli` runs the civicbus command line."""

from bus.cli import main

main()
