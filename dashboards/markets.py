"""Markets: pick a market and a resolution; candlesticks with volume, the latest metrics and the data's freshness.

Serve with `panel serve dashboards/markets.py` (or `fireside-lab serve`, which serves every dashboard).
The parts live in `fireside_lab.markets.dashboard` (nbs/markets/12_dashboard.ipynb).
"""
from fireside_lab.markets.dashboard import TITLE, dashboard

dashboard().servable(title=TITLE)
