"""The configuration reference (docs/configuration.md), generated from the settings Structs of the core and of
every installed plugin, so it never misses a key: ``python -m newsplus.settings_reference``."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from typing import Any

import msgspec

from newsplus.plugins import installed_plugins
from newsplus.settings import DatabaseSettings, DistrictSettings, SiteSettings, settings_from_dict

HEADER = """\
# Configuration reference

Every key of `newsplus.toml`, generated from the settings Structs of the core and of each plugin
(`python -m newsplus.settings_reference > docs/configuration.md`; a test fails when it is out of date).
Any key can also be set in the environment: `NEWSPLUS_SITE__NAME=…`, `NEWSPLUS_PLUGINS__WENZHENG__RATE_DAYS=7`,
and `NEWSPLUS_DATABASE_URL` for the database. A wrong key or value stops start-up with a sentence naming it.
"""


def _fields(struct: type) -> list[tuple[str, str, str]]:
    """(name, annotation, docstring) of each field, read from the class's source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(struct)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    found = []
    for index, node in enumerate(body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            following = body[index + 1] if index + 1 < len(body) else None
            doc = (
                following.value.value
                if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                else ""
            )
            found.append((node.target.id, ast.unparse(node.annotation), " ".join(str(doc).split())))
    return found


def _default(struct: type, name: str) -> str:
    info = {f.name: f for f in msgspec.structs.fields(struct)}[name]
    if info.default is not msgspec.NODEFAULT:
        value = info.default
    elif info.default_factory is not msgspec.NODEFAULT:
        value = info.default_factory()
    else:
        return "required"
    text = json.dumps(msgspec.to_builtins(value), ensure_ascii=False)
    return f"`{text}`" if len(text) <= 80 else f"`{text[:77]}…`"


def _nested(annotation: Any) -> list[type]:
    """Struct types used inside a field's type (a category's fields, a review step …)."""
    found = []
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, msgspec.Struct):
            found.append(arg)
        found += _nested(arg)
    return found


def section(title: str, struct: type) -> list[str]:
    """One table of keys, then the tables of the Structs its keys hold."""
    doc = inspect.getdoc(struct) or ""
    lines = [
        f"## `{title}`",
        "",
        doc.split("\n")[0],
        "",
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    hints = msgspec.structs.fields(struct)
    nested: list[type] = []
    for name, annotation, text in _fields(struct):
        lines.append(f"| `{name}` | `{annotation}` | {_default(struct, name)} | {text.replace('|', '/')} |")
        field = next(f for f in hints if f.name == name)
        nested += [n for n in _nested(field.type) if n not in nested]
    lines.append("")
    for inner in nested:
        lines += section(f"{title}.{_field_holding(struct, inner)}[]", inner)
    return lines


def _field_holding(struct: type, inner: type) -> str:
    return next(f.name for f in msgspec.structs.fields(struct) if inner in _nested(f.type))


def reference() -> str:
    """The whole reference: the site, the database, other districts, then each plugin's table."""
    from newsplus.runtime import Newsplus

    newsplus = Newsplus(settings_from_dict({"plugins": {"enabled": sorted(installed_plugins())}}, environ={}))
    lines = [HEADER]
    lines += section("site", SiteSettings)
    lines += section("database", DatabaseSettings)
    lines += section("[districts]", DistrictSettings)
    structs: dict[str, type] = {}
    for mapping in newsplus.collect("register_settings"):
        structs.update(mapping)
    for name in sorted(structs):
        lines += section(f"plugins.{name}", structs[name])
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(reference(), end="")
