"""MailPass shared domain package, shipped to every function as a Lambda layer."""
