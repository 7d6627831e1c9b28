"""Pages (below)."""

ROUTES: list = []
