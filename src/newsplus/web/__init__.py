"""The web layer shared by every plugin: templates, static files, languages, page rendering, errors."""
