"""The annotation web app: FastAPI with the pages, the JSON API, static files, security and error pages.

Example:
    >>> from annotation.app import create_app                      # doctest: +SKIP
    >>> app = create_app(Database.open("annotations.sqlite"))
    >>> # uvicorn.run(app, host="127.0.0.1", port=8765)
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from annotation import api, pages
from annotation.config import AnnotateConfig
from annotation.db import Database
from annotation.forms import SubmissionError
from annotation.projects import Forbidden, NotFound
from annotation.render import STATIC_DIR, render
from annotation.security import LoginRequired, SecurityHeaders, csrf_guard, principal
from annotation.submit import Conflict

__all__ = ["create_app"]


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    who = principal(request) if status != 401 else None
    return render("error.html", status, who=who, csrf=who.csrf if who else "", title=f"Error {status}",
                  path=request.url.path, status=status, message=message)


def create_app(db: Database, config: AnnotateConfig | None = None) -> FastAPI:
    """Build the app around an open database.

    Args:
        db: the annotation database (migrated).
        config: server settings (default: the database's).
    """
    app = FastAPI(title="stigmascope annotation", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf_guard)])
    app.state.db = db
    app.state.config = config or db.config
    app.state.secret = db.secret_key()
    app.add_middleware(SecurityHeaders, max_body=app.state.config.max_body_kb * 1024)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(pages.router)
    app.include_router(api.router)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        if _is_api(request) or request.method != "GET":
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse(f"/login?next={quote(request.url.path)}", 303)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(SubmissionError)
    async def _bad_submission(request: Request, exc: SubmissionError) -> Response:
        return _error(request, 422, str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> Response:
        return _error(request, 409, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return _error(request, 422, f"invalid request: {where} {first.get('msg', '')}".strip())

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    return app
