"""Data: data sets by name (the DATASETS registry), the seeded split, standardization, and data larger
than memory read by blocks.

May import: trainer.contracts, trainer.errors, trainer.registry, trainer.usercode, trainer.files.
Importing this package registers every built-in data set.
"""

from trainer.data import builtin, images, user_files  # noqa: F401  (each registers its data sets in DATASETS)
