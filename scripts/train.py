"""`python scripts/train.py ...` is `mgtrain train ...`."""

import sys

from trainer.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
