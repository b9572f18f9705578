"""The hub's audit: the processing activities register, LDV processing records and NEN 7513 access records."""
