"""`python scripts/gradcheck.py ...` is `mgtrain gradcheck ...`."""

import sys

from trainer.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["gradcheck", *sys.argv[1:]]))
