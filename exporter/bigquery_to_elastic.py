"""The seed's entry point, same as `python -m exporter`."""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script
    from exporter.cli import main

    sys.exit(main())
