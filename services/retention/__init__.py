"""Retention: cleanses and deletes dossiers after afschaling. Covenant art. 1.2, Bijlage 3."""
