"""`python -m dlenv` runs the command line."""

from dlenv.cli.app import main

if __name__ == "__main__":
    main()
