"""``python -m longwriter.cli``: the ``longwriter`` command."""

from longwriter.cli.app import main

if __name__ == "__main__":
    main()
