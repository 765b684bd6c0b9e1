"""`python -m promptlint` runs the CLI."""

from promptlint.cli import main

if __name__ == "__main__":
    main()
