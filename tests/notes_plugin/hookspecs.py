"""The notes plugin's own hook, added through ``addhooks``."""

from newsplus import hookspec


@hookspec
def notes_register_kinds() -> list[str]:
    """Return kinds of note another plugin adds."""
