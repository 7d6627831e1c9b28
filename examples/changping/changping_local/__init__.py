"""Changping's own plugin: its departments, demo accounts and (later) its 回天 service module."""
