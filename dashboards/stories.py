"""Stories: every imported story with its running summary and progress, and the suggestions of a story as they are generated.

Serve with `panel serve dashboards/stories.py` (or `fireside-lab serve`, which serves every dashboard).
The parts live in `fireside_lab.stories.dashboard` (nbs/stories/08_dashboard.ipynb).
"""
from fireside_lab.stories.dashboard import TITLE, dashboard

dashboard().servable(title=TITLE)
