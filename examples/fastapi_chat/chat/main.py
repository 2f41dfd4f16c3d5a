"""The ASGI application: `uvicorn chat.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from slowapi import _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded

from chat.limits import limiter
from chat.mentions import start_worker, stop_worker
from chat.routes import router


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    worker = start_worker()
    yield
    stop_worker(worker)


def create_app() -> FastAPI:
    """Build the chat application with its routes, rate limits and mention worker."""
    app = FastAPI(title="chat", lifespan=lifespan)
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]
    app.include_router(router)
    return app


app = create_app()
