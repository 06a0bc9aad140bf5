"""The polls dashboard: served by `fireside-lab serve` at `/polls`; `?poll=ID` is a poll's shareable page.

Its parts live in `fireside_lab.polls.dashboard`.

Serve it with `fireside-lab serve`, which signs users in (the page shows what the signed-in user may see).
A bare `panel serve` of this file has no sign-in, so the page shows only what nobody signed in may see.
"""
from fireside_lab.polls.dashboard import dashboard

dashboard().servable(title="fireside-lab polls")
