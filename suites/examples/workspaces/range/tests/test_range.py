"""Run with: python3 tests/test_range.py (from the workspace folder)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from range import inclusive_range  # noqa: E402

assert inclusive_range(1, 3) == [1, 2, 3]
assert inclusive_range(5, 5) == [5]
assert inclusive_range(3, 1, -1) == [3, 2, 1]
assert inclusive_range(0, 6, 3) == [0, 3, 6]
print("ok")
