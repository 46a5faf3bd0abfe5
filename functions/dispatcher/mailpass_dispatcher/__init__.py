"""The dispatcher: started by an EventBridge schedule, drains the send queue."""
