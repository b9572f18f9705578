"""Retention shared by every service: the policy as data and the per-case purge each service runs."""
