"""The work the queue does (queue.py): each task by its import path, with plain arguments."""

from __future__ import annotations

from flask import current_app

from . import observe, queue

# Waits in seconds before each new try of an email the mail server did not take.
MAIL_RETRIES = (30, 120, 600, 1800)


def _prepare() -> None:
    if queue.in_job_process():
        queue.prepare_job_process()


def export(job_id: int) -> None:
    """Make an export's or an EQA pack's file (export/jobs.py)."""
    _prepare()
    from .export.jobs import run

    observe.in_job(job_id)
    run(job_id)


def send_mail(mails: list[dict], attempt: int = 0) -> None:
    """Send notification emails. Those the server could not take are tried again later, with
    longer waits each time; after the last try each is logged with its notice id."""
    _prepare()
    from .notify import Mail, deliver

    left = deliver([Mail(**m) for m in mails])
    if not left:
        return
    if attempt < len(MAIL_RETRIES):
        queue.enqueue("portfolio.tasks.send_mail", [m.as_dict() for m in left], attempt + 1,
                      timeout=120, delay=MAIL_RETRIES[attempt])
        return
    for mail in left:
        current_app.logger.error("gave up on a notification email after %d tries: notice %s "
                                 "to %s", attempt + 1, mail.notice_id or "-", mail.to)
