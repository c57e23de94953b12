#!/usr/bin/env bash
# The thorough property run (10,000 generated messy workbooks); CI runs the fast 'ci' profile.
set -euo pipefail
cd "$(dirname "$0")/.."
XL_ADDIN_HYPOTHESIS=thorough python -m pytest -q -p no:warnings tests/test_properties.py "$@"
