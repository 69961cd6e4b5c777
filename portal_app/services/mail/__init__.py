"""Outgoing e-mail: the durable outbox every message goes through."""
