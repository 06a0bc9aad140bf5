"""The jobs dashboard: `panel serve dashboards/jobs.py` (parts in `fireside_lab.jobs.dashboard`)."""
from fireside_lab.jobs.dashboard import dashboard

dashboard().servable(title="fireside-lab jobs")
