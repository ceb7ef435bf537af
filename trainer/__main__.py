"""`python -m trainer ...` is `mgtrain ...`."""

import sys

from trainer.cli.main import main

sys.exit(main())
