"""The jobs dashboard: served by `fireside-lab serve` at `/jobs` (parts in `fireside_lab.jobs.dashboard`).

Serve it with `fireside-lab serve`, which signs users in (the page shows what the signed-in user may see).
A bare `panel serve` of this file has no sign-in, so the page shows only what nobody signed in may see.
"""
from fireside_lab.jobs.dashboard import dashboard

dashboard().servable(title="fireside-lab jobs")
