"""Score a finished run and write its predictions: python scripts/evaluate.py RUN_DIR [--data ...]"""

import sys

from trainer.commands import evaluate_main

if __name__ == "__main__":
    sys.exit(evaluate_main())
