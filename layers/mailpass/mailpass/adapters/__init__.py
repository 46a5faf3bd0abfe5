"""Adapters: the only code that talks to AWS, SMTP servers or the network."""
