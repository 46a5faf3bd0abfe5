"""SES feedback (configuration-set events through SNS or EventBridge)."""
