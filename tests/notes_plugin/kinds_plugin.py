"""A second test plugin implementing the notes plugin's own hook."""

from newsplus import hookimpl

name = "note_kinds"


@hookimpl
def notes_register_kinds() -> list[str]:
    """A kind of note."""
    return ["reminder"]
