"""The register of parties, shared by every service that must know who was a party when.

Intake owns it (the commands and the facts); the other services keep their own copy from
zorgtafel.register.events.v1, starting from the same seed of the covenant's 68 signatories.
"""
