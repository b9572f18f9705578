"""Intake: receives referrals (aanmeldingen) on each party's inbound topic. Covenant art. 1.1, 12.2a."""
