"""mailpass-admin: the operator's command line for accounts, keys and providers."""
