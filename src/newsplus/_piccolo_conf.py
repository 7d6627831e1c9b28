"""The piccolo configuration module newsplus points ``PICCOLO_CONF`` at.

piccolo finds its engine and apps through a module; newsplus fills this one in from settings when the
database is activated (newsplus.db.activate), so piccolo's own tools (migrations) see the same database.
"""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

DB: Engine | None = None
APP_REGISTRY = AppRegistry(apps=[])
