"""The feed dashboard: `panel serve dashboards/feeds.py` (parts in `fireside_lab.feeds.dashboard`).

An empty store is seeded with the bundled sample clips (data/samples/feeds/)."""
from fireside_lab.feeds.dashboard import dashboard

dashboard().servable(title="fireside-lab feeds")
