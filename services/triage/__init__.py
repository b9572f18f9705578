"""Triage: consults parties and routes a case. Covenant art. 1.15, 12.2b, Bijlage 2."""
