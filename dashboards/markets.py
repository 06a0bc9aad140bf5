"""Markets: pick a market and a resolution; candlesticks with volume, the latest metrics and the data's freshness.

Serve it with `fireside-lab serve`, which signs users in (the page shows what the signed-in user may see).
A bare `panel serve` of this file has no sign-in, so the page shows only what nobody signed in may see.
The parts live in `fireside_lab.markets.dashboard` (nbs/markets/12_dashboard.ipynb).
"""
from fireside_lab.markets.dashboard import TITLE, dashboard

dashboard().servable(title=TITLE)
