"""The web app's own tables (users, sessions, review state), created by migration 2.

They live on the store's metadata so their foreign keys reach ``reports``. Review marks are
keyed by a finding's fingerprint (rule, keys, line), not its row id: cross-report findings are
recomputed (new ids) whenever a neighbouring report is stored, and a mark must survive that.
"""

from __future__ import annotations

import sqlalchemy as sa

from nianbao.store.schema import metadata

users = sa.Table(
    "web_users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("role", sa.Text, nullable=False),  # admin | reviewer
    sa.Column("password_hash", sa.Text, nullable=False),  # argon2id
    sa.Column("created_at", sa.Text, nullable=False),
)

sessions = sa.Table(
    "web_sessions", metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),  # SHA-256 of the cookie's random token
    sa.Column("user_id", sa.Integer, sa.ForeignKey("web_users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("csrf", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Text, nullable=False),
)

finding_reviews = sa.Table(
    "finding_reviews", metadata,
    sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("fingerprint", sa.Text, primary_key=True),  # rule|keys|line
    sa.Column("decision", sa.Text, nullable=False),  # 确认 | 不采纳
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("reviewer", sa.Text, nullable=False),
    sa.Column("reviewed_at", sa.Text, nullable=False),
)

report_reviews = sa.Table(
    "report_reviews", metadata,
    sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("state", sa.Text, nullable=False),  # 待审 | 已审 | 已退回
    sa.Column("reviewer", sa.Text, nullable=False),
    sa.Column("reviewed_at", sa.Text, nullable=False),
)

TABLES = [users, sessions, finding_reviews, report_reviews]

# Background uploads (migration 3). A job is one upload request; its files are the report files
# it holds (a zip's members one by one), each saved under the upload folder before the request
# returns, then ingested one at a time by the server's upload runner. Counts are not stored: they
# are grouped from the files, so they can never disagree with them.
upload_jobs = sa.Table(
    "upload_jobs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("web_users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("state", sa.Text, nullable=False, index=True),  # 待处理 | 处理中 | 已完成
    sa.Column("total", sa.Integer, nullable=False),  # file rows
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("started_at", sa.Text),
    sa.Column("finished_at", sa.Text),
)

upload_job_files = sa.Table(
    "upload_job_files", metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("upload_jobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),  # order within the job, from 1
    sa.Column("name", sa.Text, nullable=False),  # as shown: the uploaded name, or zip/member
    sa.Column("path", sa.Text),  # the saved copy (none when refused before saving)
    sa.Column("sha256", sa.Text),
    sa.Column("state", sa.Text, nullable=False),  # 待处理 | 处理中 | 已入库 | 已在库中 | 失败
    sa.Column("message", sa.Text),  # the result line, or the one-line reason
    sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="SET NULL")),
    sa.Column("finished_at", sa.Text),
    sa.Index("ix_upload_job_files_state", "state", "job_id", "seq"),  # the runner's next pending file
)

JOB_TABLES = [upload_jobs, upload_job_files]
