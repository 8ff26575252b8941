"""Run the phasepinn Python package's tests (meson test -C build python).

Exit 77 (meson's SKIP) when numpy, pandas or pytest is missing, so a
machine without them reports the suite skipped, never passed.
"""

import importlib.util
import os
import sys

DEBIAN = {"numpy": "python3-numpy", "pandas": "python3-pandas", "pytest": "python3-pytest"}

missing = [m for m in DEBIAN if importlib.util.find_spec(m) is None]
if missing:
    print(f"SKIP: {sys.executable} lacks {', '.join(missing)} "
          f"(apt-get install {' '.join(DEBIAN[m] for m in missing)}; scripts/setup.sh does)")
    sys.exit(77)

import pytest  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
sys.exit(pytest.main([here, "-q", "-p", "no:cacheprovider", "-rfEs"] + sys.argv[1:]))
