"""Gradient descent on a function of two variables: python scripts/descend.py configs/paraboloid.yaml [key=value ...]"""

import sys

from trainer.commands import descend_main

if __name__ == "__main__":
    sys.exit(descend_main())
