"""The MailPass HTTP API: a FastAPI app, served by Lambda via Mangum and locally by uvicorn."""
