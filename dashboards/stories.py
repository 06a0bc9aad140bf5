"""Stories: every imported story with its running summary and progress, and the suggestions of a story as they are generated.

Serve it with `fireside-lab serve`, which signs users in (the page shows what the signed-in user may see).
A bare `panel serve` of this file has no sign-in, so the page shows only what nobody signed in may see.
The parts live in `fireside_lab.stories.dashboard` (nbs/stories/08_dashboard.ipynb).
"""
from fireside_lab.stories.dashboard import TITLE, dashboard

dashboard().servable(title=TITLE)
