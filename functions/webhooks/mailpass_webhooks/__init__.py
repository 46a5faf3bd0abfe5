"""Webhook deliveries, from the webhook queue."""
