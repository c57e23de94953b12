"""The peer: what a Python user would write with pandas and openpyxl."""
import sys

import pandas as pd

out, files = sys.argv[1], sys.argv[2:]
frames = []
for path in files:
    for frame in pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None).values():
        frames.append(frame)
pd.concat(frames, ignore_index=True).to_excel(out, engine="openpyxl", index=False)
