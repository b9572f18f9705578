"""Casemeeting: prepares and holds the Casusoverleg. Covenant art. 8, 9, 12.2c-h, 13 (issue #5)."""
