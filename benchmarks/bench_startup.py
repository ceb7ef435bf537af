"""Start-up: `python scripts/train.py --help` and `--check` against `python -c "import mygrad"`.

python benchmarks/bench_startup.py [--repeats 15]
"""

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import interleaved, report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def command(*args):
    return lambda: subprocess.run([sys.executable, *args], check=True, capture_output=True)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    train = str(ROOT / "scripts" / "train.py")
    variants = {
        "import mygrad": command("-c", "import mygrad"),
        "train.py --help": command(train, "--help"),
        "train.py CONFIG --check": command(train, str(ROOT / "configs" / "linreg.yaml"), "--check"),
    }
    print(report("Start-up, whole process", interleaved(variants, args.repeats), ["import mygrad"]))


if __name__ == "__main__":
    main()
