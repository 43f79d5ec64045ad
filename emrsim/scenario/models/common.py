"""What several scenario models share."""

NAME = r"^[A-Za-z0-9_.\-]+$"
"""Names of queues, stages and groups: letters, digits, ``_ . -``."""
