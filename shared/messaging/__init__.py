"""Kafka conventions of the hub: broker factory, outbox, inbox, dead letters, topic admin."""
