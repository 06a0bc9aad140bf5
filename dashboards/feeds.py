"""The feed dashboard: served by `fireside-lab serve` at `/feeds` (parts in `fireside_lab.feeds.dashboard`).

An empty store is seeded with the bundled sample clips (data/samples/feeds/).

Serve it with `fireside-lab serve`, which signs users in (the page shows what the signed-in user may see).
A bare `panel serve` of this file has no sign-in, so the page shows only what nobody signed in may see.
"""
from fireside_lab.feeds.dashboard import dashboard

dashboard().servable(title="fireside-lab feeds")
