"""The local stack: DynamoDB Local, moto's server, an SMTP catcher and the API, no AWS needed.

Used by `make dev`, by the test fixtures and by the benchmarks, so all three run the same parts."""
