"""Notifications: an inbox item per person, and the same notice by email when SMTP is set.

`notify()` adds the inbox item to the caller's transaction. Emails wait in the session's outbox
and are sent only after that transaction commits (a refused change sends nothing), by the job
queue (queue.py: RQ when REDIS_URL is set, else a thread) so a slow mail server never holds up
a page. An email the server does not take is tried again with longer waits (tasks.py); each
failure is logged with its notice id, never shown to the person who acted: the inbox item is
already saved.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import asdict, dataclass, replace
from email.message import EmailMessage

from flask import current_app, has_request_context, request, url_for
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session

from .extensions import db
from .models import Notification, Portfolio, User, utcnow
from .text import one_line

OUTBOX = "notify.outbox"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    notice_id: int | None = None  # the inbox item it repeats, for the log

    def as_dict(self) -> dict:
        return asdict(self)

    def __post_init__(self):
        # Header values on one line: a CR/LF in a title neither adds a header nor stops the
        # email being built.
        object.__setattr__(self, "to", one_line(self.to) or "")
        object.__setattr__(self, "subject", one_line(self.subject) or "")


def link_to(endpoint: str, **values) -> str:
    """A path inside the app for a notice, also from the command line (the demo, imports)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def notify(user: User | None, message: str, *, link: str = "",
           portfolio: Portfolio | None = None) -> Notification | None:
    """Tell `user` something, in the inbox (and by email when configured).

    The same unread notice twice (for example two files removed in a row) is kept once.
    """
    if user is None or not user.active:
        return None
    pending = next((n for n in db.session.new if isinstance(n, Notification)
                    and n.user_id == user.id and n.message == message and n.link == link), None)
    earlier = pending or db.session.scalar(
        select(Notification).where(Notification.user_id == user.id,
                                   Notification.message == message, Notification.link == link,
                                   Notification.read_at.is_(None)))
    if earlier is not None:
        return earlier
    item = Notification(user_id=user.id, message=message, link=link,
                        portfolio_id=portfolio.id if portfolio else None)
    db.session.add(item)
    if current_app.config.get("MAIL_SERVER"):
        db.session.info.setdefault(OUTBOX, []).append((_mail(user, message, link), item))
    return item


def queue_mail(to: str, subject: str, body: str) -> bool:
    """Email someone without an account (a witness) after commit. False when email is off."""
    if not current_app.config.get("MAIL_SERVER"):
        return False
    db.session.info.setdefault(OUTBOX, []).append((Mail(to=to, subject=subject, body=body), None))
    return True


def absolute(path: str) -> str:
    """The full address of a path inside the app, for links sent outside it.

    PUBLIC_URL when set. With email on, only PUBLIC_URL (create_app refuses to start without
    it): the Host header is the requester's to forge, and a link in an email must not point
    elsewhere. With email off, a link shown on screen may use the request's own host."""
    base = current_app.config.get("PUBLIC_URL") or ""
    if not base and not current_app.config.get("MAIL_SERVER") and has_request_context():
        base = request.host_url
    return base.rstrip("/") + path


def _mail(user: User, message: str, link: str) -> Mail:
    url = absolute(link) if link else ""
    url = url if url.startswith("http") else ""
    centre = current_app.config["CENTRE_NAME"]
    body = (f"Hello {user.name},\n\n{message}\n\n"
            + (f"Open it here: {url}\n\n" if url else "")
            + f"You can see all your notices in the evidence portfolio's inbox.\n\n{centre}\n")
    return Mail(to=user.email, subject=f"{message[:90]}", body=body)


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(user: User, ids: list[int] | None = None, *,
              portfolio_id: int | None = None) -> int:
    """Mark the user's notices read (all of them, just `ids`, or those about one portfolio).
    Returns how many changed."""
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    if portfolio_id is not None:
        query = query.where(Notification.portfolio_id == portfolio_id)
    return db.session.execute(query.values(read_at=utcnow())).rowcount


def settle(user: User | None, link: str) -> int:
    """Mark read the user's notices that point at `link` (and its anchors): once they have
    acted on the thing (judged the claims, answered the record), the notice is done."""
    if user is None or not link:
        return 0
    return db.session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.read_at.is_(None),
                                   (Notification.link == link)
                                   | Notification.link.startswith(link + "#"))
        .values(read_at=utcnow())).rowcount


def _message(config: dict, mail: Mail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = config["MAIL_FROM"]
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg.set_content(mail.body)
    return msg


def _connect(config):
    context = ssl.create_default_context()
    port = int(config.get("MAIL_PORT") or (465 if config.get("MAIL_USE_SSL") else 587))
    if config.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], port, timeout=15, context=context)
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], port, timeout=15)
    if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
        smtp.starttls(context=context)
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return smtp


def deliver(mails: list[Mail]) -> list[Mail]:
    """Send through the configured SMTP server. Returns the emails worth trying again later
    (the server was unreachable or said "try later"); logs, never raises. An email the server
    refuses for good, or that cannot be built, is logged with its notice id and the rest go."""
    config, logger = current_app.config, current_app.logger
    try:
        smtp = _connect(config)
    except Exception as exc:  # unreachable, refused, TLS or login failed: all of it later
        logger.error("could not send %d notification email(s) (notices %s): %s: %s",
                     len(mails), _ids(mails), type(exc).__name__, exc)
        return list(mails)
    left: list[Mail] = []
    with smtp:
        for number, mail in enumerate(mails):
            try:
                smtp.send_message(_message(config, mail))
            except smtplib.SMTPServerDisconnected as exc:
                logger.error("the mail server went away: %d email(s) left (notices %s): %s",
                             len(mails) - number, _ids(mails[number:]), exc)
                return left + list(mails[number:])
            except smtplib.SMTPResponseException as exc:
                later = 400 <= exc.smtp_code < 500
                logger.error("the mail server %s the email for notice %s to %s: %s %s",
                             "deferred" if later else "refused", mail.notice_id or "-",
                             mail.to, exc.smtp_code, exc.smtp_error)
                if later:
                    left.append(mail)
            except Exception as exc:  # refused recipients, an unbuildable message: logged
                logger.error("could not send the notification email for notice %s to %s: "
                             "%s: %s", mail.notice_id or "-", mail.to, type(exc).__name__, exc)
    return left


def _ids(mails: list[Mail]) -> str:
    return ", ".join(str(m.notice_id or "-") for m in mails)


def _send_later(mails: list[Mail]) -> None:
    from . import queue

    payload = [m.as_dict() for m in mails]
    try:
        queue.enqueue("portfolio.tasks.send_mail", payload, timeout=120)
    except Exception as exc:  # the queue is down: a thread of ours sends them instead
        current_app.logger.error("could not queue %d email(s) (notices %s): %s: %s; sending "
                                 "from this process", len(mails), _ids(mails),
                                 type(exc).__name__, exc)
        queue.enqueue("portfolio.tasks.send_mail", payload, timeout=120, in_process=True)


# Registered once, for every session: the outbox lives in the session that committed.
@event.listens_for(Session, "after_commit")
def _send_after_commit(session):
    pending = session.info.pop(OUTBOX, None)
    if not pending:
        return
    mails = []
    for mail, notice in pending:  # the notice's id, from its identity: no query after commit
        identity = inspect(notice).identity if notice is not None else None
        mails.append(replace(mail, notice_id=identity[0]) if identity else mail)
    _send_later(mails)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session):
    session.info.pop(OUTBOX, None)
