"""A county's own life-service module, shipped in its own package (the pattern districts follow)."""
