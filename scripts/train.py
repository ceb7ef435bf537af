"""Train from a YAML config: python scripts/train.py configs/linreg.yaml [key=value ...]"""

import sys

from trainer.cli import main

if __name__ == "__main__":
    sys.exit(main())
