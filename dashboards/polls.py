"""The polls dashboard: `panel serve dashboards/polls.py`; `?poll=ID` is a poll's shareable page.

Its parts live in `fireside_lab.polls.dashboard`."""
from fireside_lab.polls.dashboard import dashboard

dashboard().servable(title="fireside-lab polls")
