"""Districts: which district a request belongs to, and the scoping every district-owned table goes through."""
