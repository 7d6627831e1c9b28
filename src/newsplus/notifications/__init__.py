"""Notifications: channels that carry messages to people (more arrives with the inbox and events)."""
