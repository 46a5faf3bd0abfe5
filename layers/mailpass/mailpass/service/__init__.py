"""Use cases. They speak to the outside only through the protocols in mailpass.ports."""
