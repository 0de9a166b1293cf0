"""Signing in and out, the one-time setup of the first administrator, the start page, the admin's user list."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nianbao.store.app_schema import users
from nianbao.web.accounts import (
    ROLES,
    AccountError,
    User,
    add_user,
    authenticate,
    close_session,
    open_session,
    same_token,
)
from nianbao.web.app import LOGIN_COOKIE, SESSION_COOKIE, WebError, check_csrf, current, render, store_of
from nianbao.web.first_run import check_first_admin, create_first_admin, needs_setup

router = APIRouter()
NO_SETUP = "找不到该页面或记录（已有用户，无需初始设置）"


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", path="/",
                        secure=request.app.state.settings.secure_cookies)


def _needs_setup(request: Request) -> bool:
    with store_of(request).engine.connect() as conn:
        return needs_setup(conn)


def _form_page(request: Request, template: str, error: str | None = None, status: int = 200,
               name: str = "") -> Response:
    """The login or setup form with a fresh double-submit CSRF token (cookie and hidden field)."""
    token = secrets.token_urlsafe(32)
    response = render(request, template, {"session": None, "csrf": token, "error": error, "name": name},
                      status=status)
    _cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.get("/", include_in_schema=False)
def index(request: Request) -> RedirectResponse:
    return RedirectResponse("/setup" if _needs_setup(request) else "/reports", status_code=303)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request) -> Response:
    if _needs_setup(request):
        return RedirectResponse("/setup", status_code=303)
    return _form_page(request, "login.html.j2")


@router.get("/setup", response_class=HTMLResponse, include_in_schema=False)
def setup_page(request: Request) -> Response:
    """The one-time page that creates the first administrator (404 once any user exists)."""
    if not _needs_setup(request):
        raise WebError(404, NO_SETUP)
    return _form_page(request, "setup.html.j2")


@router.post("/setup", include_in_schema=False)
def setup(request: Request, name: Annotated[str, Form()], password: Annotated[str, Form()],
          password2: Annotated[str, Form()], csrf_token: Annotated[str, Form()] = "") -> Response:
    if not same_token(csrf_token, request.cookies.get(LOGIN_COOKIE, "")):
        raise WebError(403, "缺少或错误的 CSRF 令牌，请刷新页面后重试")
    if not _needs_setup(request):
        raise WebError(404, NO_SETUP)
    try:
        name = check_first_admin(name, password, password2)
    except AccountError as exc:
        return _form_page(request, "setup.html.j2", str(exc), status=400, name=name)
    with store_of(request).engine.begin() as conn:
        created = create_first_admin(conn, name, password)
        if created is None:  # another setup won the race
            raise WebError(404, NO_SETUP)
        token = open_session(conn, User(created, name, "admin"))
    response = RedirectResponse("/reports", status_code=303)
    _cookie(request, response, SESSION_COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/login", include_in_schema=False)
def login(request: Request, name: Annotated[str, Form()], password: Annotated[str, Form()],
          csrf_token: Annotated[str, Form()] = "") -> Response:
    if not same_token(csrf_token, request.cookies.get(LOGIN_COOKIE, "")):
        raise WebError(403, "缺少或错误的 CSRF 令牌，请刷新页面后重试")
    limiter = request.app.state.limiter
    keys = (f"ip:{request.client.host if request.client else '?'}", f"user:{name.strip()}")
    if limiter.blocked(*keys):
        raise WebError(429, "登录失败次数过多，请 5 分钟后再试")
    with store_of(request).engine.begin() as conn:
        user = authenticate(conn, name, password)
        if user is None:
            limiter.failed(*keys)
            return render(request, "login.html.j2", {"session": None, "csrf": csrf_token,
                                                     "error": "用户名或密码错误"}, status=401)
        limiter.succeeded(*keys)
        token = open_session(conn, user)
    response = RedirectResponse("/reports", status_code=303)
    _cookie(request, response, SESSION_COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    session = current(request)
    check_csrf(request, session, csrf_token)
    with store_of(request).engine.begin() as conn:
        close_session(conn, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _users_page(request: Request, message: str | None = None, status: int = 200) -> Response:
    session = current(request, role="admin")
    with store_of(request).engine.connect() as conn:
        rows = conn.execute(users.select().order_by(users.c.name)).all()
    return render(request, "users.html.j2", {"session": session, "users": rows, "roles": ROLES,
                                             "message": message}, status=status)


@router.get("/admin/users", response_class=HTMLResponse, include_in_schema=False)
def users_page(request: Request) -> Response:
    return _users_page(request)


@router.post("/admin/users", include_in_schema=False)
def users_add(request: Request, name: Annotated[str, Form()], role: Annotated[str, Form()],
              password: Annotated[str, Form()], csrf_token: Annotated[str, Form()] = "") -> Response:
    session = current(request, role="admin")
    check_csrf(request, session, csrf_token)
    try:
        with store_of(request).engine.begin() as conn:
            add_user(conn, name, role, password)
    except AccountError as exc:
        return _users_page(request, str(exc), status=400)
    return _users_page(request, f"已添加用户“{name.strip()}”")
