"""The hub's own shared package: contracts, messaging, persistence, telemetry and settings.

Shared is imported, never run; services are run, never imported by each other.
"""
