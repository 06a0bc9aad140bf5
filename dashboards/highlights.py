"""Highlights review: pick a video, see signals and detected segments, play clips, accept / reject / adjust them.

Serve with `panel serve dashboards/highlights.py` (or `fireside-lab serve`, which serves every dashboard).
The parts live in `fireside_lab.highlights.dashboard` (nbs/highlights/07_dashboard.ipynb).
"""
from fireside_lab.highlights.dashboard import TITLE, dashboard

dashboard().servable(title=TITLE)
