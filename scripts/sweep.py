"""Sweep a config over values: python scripts/sweep.py configs/linreg.yaml --grid optimizer.lr=0.01,0.1"""

import sys

from trainer.sweep_cli import main

if __name__ == "__main__":
    sys.exit(main())
