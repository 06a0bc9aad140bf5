"""Highlights review: pick a video, see signals and detected segments, play clips, accept / reject / adjust them.

Serve it with `fireside-lab serve`, which signs users in (the page shows what the signed-in user may see).
A bare `panel serve` of this file has no sign-in, so the page shows only what nobody signed in may see.
The parts live in `fireside_lab.highlights.dashboard` (nbs/highlights/07_dashboard.ipynb).
"""
from fireside_lab.highlights.dashboard import TITLE, dashboard

dashboard().servable(title=TITLE)
