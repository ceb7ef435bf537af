"""`python scripts/evaluate.py ...` is `mgtrain evaluate ...`."""

import sys

from trainer.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
