"""The jobs dashboard: `panel serve dashboards/jobs.py` (parts in `fireside_lab.jobs_dashboard`)."""
from fireside_lab.jobs_dashboard import dashboard

dashboard().servable(title="fireside-lab jobs")
