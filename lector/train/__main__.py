"""`python -m lector.train CONFIG.json` (the CLI's `lector train` calls the same function)."""
import sys
from pathlib import Path

from lector.train.train import TrainConfig, train

if __name__ == "__main__":
    train(TrainConfig.from_file(Path(sys.argv[1])))
