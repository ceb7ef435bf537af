"""`python scripts/sweep.py ...` is `mgtrain sweep ...`."""

import sys

from trainer.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["sweep", *sys.argv[1:]]))
