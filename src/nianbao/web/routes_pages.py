"""Signing in and out, the start page, and the admin's user list."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nianbao.store.app_schema import users
from nianbao.web.accounts import ROLES, AccountError, add_user, authenticate, close_session, open_session, same_token
from nianbao.web.app import LOGIN_COOKIE, SESSION_COOKIE, WebError, check_csrf, current, render, store_of

router = APIRouter()


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", path="/",
                        secure=request.app.state.settings.secure_cookies)


@router.get("/", include_in_schema=False)
def index() -> RedirectResponse:
    return RedirectResponse("/reports", status_code=303)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html.j2", {"session": None, "csrf": token, "error": None})
    _cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
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
