"""The web commands: ``nianbao serve`` and ``nianbao users add``.

Registered on the ``nianbao`` app by ``register(app)``; FastAPI, uvicorn and argon2 are
imported inside the commands.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

EXIT_UNUSABLE = 2
DbOption = Annotated[str | None, typer.Option("--db", help="SQLite file or postgresql:// URL (env NIANBAO_DB; "
                                                            "default nianbao.db).")]


class Role(StrEnum):
    admin = "admin"
    reviewer = "reviewer"


def _fail(message: str) -> NoReturn:
    typer.echo(f"nianbao: {message}", err=True)
    raise typer.Exit(EXIT_UNUSABLE)


users_app = typer.Typer(help="Accounts of the web app (admin, reviewer).", no_args_is_help=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user name.")],
    role: Annotated[Role, typer.Option("--role", help="admin or reviewer.")] = Role.reviewer,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    db: DbOption = None,
) -> None:
    """Add a user to the web app (the password is asked for, or read from stdin)."""
    from nianbao.store.db import StoreError, open_store
    from nianbao.web.accounts import AccountError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    try:
        store = open_store(db)
        with store.engine.begin() as conn:
            add_user(conn, name, role.value, password)
    except (StoreError, AccountError) as exc:
        _fail(str(exc))
    typer.echo(f"已添加用户“{name.strip()}”（{'管理员' if role is Role.admin else '审核员'}）")


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    uploads: Annotated[Path | None, typer.Option("--uploads", help="Folder for uploaded files "
                                                 "(default: beside the SQLite file).")] = None,
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="Mark cookies Secure (behind HTTPS).")
                              ] = False,
    letter_template: Annotated[Path | None, typer.Option(
        "--letter-template", help="The office's own 审核意见 wording (a copy of the bundled letter_template.toml).")
    ] = None,
) -> None:
    """The reviewer's desk: a web app over the store (reports, findings, review, upload)."""
    import uvicorn

    from nianbao.store.db import StoreError
    from nianbao.web import Settings, create_app
    from nianbao.web.letter import LetterError, load_template

    try:
        load_template(letter_template)  # a broken template is one line now, not a 500 at the first letter
        app = create_app(Settings(db=db, upload_dir=uploads, secure_cookies=secure_cookies,
                                  letter_template=letter_template))
    except (StoreError, LetterError) as exc:
        _fail(str(exc))
    from nianbao.web.first_run import needs_setup

    typer.echo(f"审核台已启动：http://{host}:{port}/ （按 Ctrl+C 停止）")
    with app.state.store.engine.connect() as conn:
        if needs_setup(conn):
            typer.echo(f"尚无用户：请先打开 http://{host}:{port}/setup 创建管理员账号")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(users_app, name="users")
