"""The app: settings, security headers, one error shape for pages and the API, sign-in checks."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from nianbao.store.db import Store, open_store
from nianbao.web.accounts import LoginLimiter, Session, same_token, session_of
from nianbao.web.job_runner import UploadRunner, lifespan
from nianbao.web.uploads import Limits

HERE = Path(__file__).parent
SESSION_COOKIE = "nb_session"
LOGIN_COOKIE = "nb_login_csrf"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
log = logging.getLogger("nianbao.web")


@dataclass
class Settings:
    db: str | None = None
    upload_dir: Path | None = None  # default: "<db>.uploads" beside a SQLite file, else ./nianbao-uploads
    limits: Limits = field(default_factory=Limits)
    secure_cookies: bool = False  # set behind HTTPS
    login_attempts: int = 5
    login_window: float = 300.0
    letter_template: Path | None = None  # the office's own 审核意见 wording (default: bundled)


class WebError(Exception):
    """An error shown to the user (page or API alike): a status and one Chinese line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_STATUS_TEXT = {400: "请求有误", 401: "请先登录", 403: "没有权限", 404: "找不到该页面或记录", 405: "不支持的请求方法",
                413: "上传内容过大", 422: "请求参数有误", 429: "尝试次数过多，请稍后再试", 500: "服务器内部错误"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)
    if status == 401:
        return RedirectResponse("/login", status_code=303)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html.j2", {"status": status, "message": message,
                                                                 "session": None}, status_code=status)


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        limit = request.app.state.settings.limits.request_bytes
        length = request.headers.get("content-length", "")
        if request.method == "POST" and length.isdigit() and int(length) > limit:
            response = error_response(request, 413, f"上传内容过大（一次上限 {limit} 字节）")
        else:
            response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def current(request: Request, role: str | None = None) -> Session:
    """The signed-in session (401 without one, 403 when the role is not enough)."""
    with store_of(request).engine.connect() as conn:
        session = session_of(conn, request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise WebError(401, "请先登录")
    if role == "admin" and not session.user.is_admin:
        raise WebError(403, "没有权限：此操作需要管理员")
    return session


def check_csrf(request: Request, session: Session, given: str | None) -> None:
    token = given or request.headers.get("X-CSRF-Token")
    if not same_token(token, session.csrf):
        raise WebError(403, "缺少或错误的 CSRF 令牌，请刷新页面后重试")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, name, context, status_code=status)
    return response


def _upload_dir(settings: Settings, store: Store) -> Path:
    if settings.upload_dir is not None:
        return settings.upload_dir
    if store.url.startswith("sqlite:///"):
        db = Path(store.url.removeprefix("sqlite:///"))
        return db.with_name(db.name + ".uploads")
    return Path("nianbao-uploads")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app over the store ``settings.db`` (opened and migrated now; raises StoreError)."""
    from nianbao.web import routes_insight, routes_letters, routes_pages, routes_reports, routes_review, routes_upload

    settings = settings or Settings()
    app = FastAPI(title="nianbao 审核台", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.store = open_store(settings.db)
    app.state.upload_dir = _upload_dir(settings, app.state.store)
    app.state.upload_runner = UploadRunner(app.state.store)  # started and stopped by the lifespan
    app.state.limiter = LoginLimiter(settings.login_attempts, settings.login_window)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    app.state.templates = Jinja2Templates(env=env)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError) -> Response:
        return error_response(request, exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, _STATUS_TEXT.get(exc.status_code, "请求有误"))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = "、".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors()[:3])
        return error_response(request, 400, f"请求参数有误：{fields}")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)  # the trace stays in the server log
        return error_response(request, 500, _STATUS_TEXT[500])

    app.include_router(routes_pages.router)
    app.include_router(routes_reports.router)
    app.include_router(routes_review.router)
    app.include_router(routes_upload.router)
    app.include_router(routes_letters.router)
    app.include_router(routes_insight.router)
    return app
