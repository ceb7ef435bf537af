"""Check gradients against finite differences: python scripts/gradcheck.py configs/linreg.yaml [key=value ...]"""

import sys

from trainer.commands import gradcheck_main

if __name__ == "__main__":
    sys.exit(gradcheck_main())
