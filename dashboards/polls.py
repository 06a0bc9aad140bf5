"""The polls dashboard: `panel serve dashboards/polls.py`; `?poll=ID` is a poll's shareable page (parts in `fireside_lab.polls_dashboard`)."""
from fireside_lab.polls_dashboard import dashboard

dashboard().servable(title="fireside-lab polls")
