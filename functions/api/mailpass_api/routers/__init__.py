"""One APIRouter per resource. `mail` and `tracking` load with the app; the settings routers
(providers, webhooks, suppressions) on the first request under their prefix (app.LazyRouter)."""
