import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import os

# xlwings' remote engine (the button handler tests) runs under its PolyForm Noncommercial
# licence, which covers government institutions; xlwings reads the key at import.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

# A message placeholder with no value in its issue's context fails the test, not a blank.
os.environ.setdefault("XL_ADDIN_STRICT_MESSAGES", "1")
