"""Changping's 回天 plugin: the pattern a district follows to add its own life-service module and home tile."""
