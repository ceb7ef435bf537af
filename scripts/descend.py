"""`python scripts/descend.py ...` is `mgtrain descend ...`."""

import sys

from trainer.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["descend", *sys.argv[1:]]))
