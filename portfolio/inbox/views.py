from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..evidence.forms import ConfirmForm
from ..extensions import db
from ..models import Notification, Portfolio
from ..notify import mark_read
from . import bp

PAGE = 100


@bp.route("/")
@login_required
def index():
    items = db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id)
        .options(selectinload(Notification.portfolio).selectinload(Portfolio.learner))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(PAGE)).all()
    # Grouped by portfolio, the group with the newest unread notice first.
    groups: dict[int | None, list[Notification]] = {}
    for item in items:
        groups.setdefault(item.portfolio_id, []).append(item)
    ordered = sorted(groups.values(), key=lambda g: (all(n.read_at for n in g),
                                                     -max(n.id for n in g)))
    return render_template("inbox/index.html", items=items, groups=ordered, form=ConfirmForm(),
                           limit=PAGE)


@bp.route("/<int:notification_id>")
@login_required
def open_item(notification_id: int):
    """Follow a notice's link, marking it read. Only the person it was sent to can."""
    item = db.session.get(Notification, notification_id)
    if item is None or item.user_id != current_user.id:
        abort(404)
    mark_read(current_user, [item.id])
    db.session.commit()
    # Links are app paths we wrote; never redirect anywhere else.
    target = item.link if item.link.startswith("/") and not item.link.startswith("//") else None
    return redirect(target or url_for(".index"))


@bp.route("/read", methods=["POST"])
@login_required
def read_all():
    if ConfirmForm().validate_on_submit():
        about = request.form.get("portfolio", type=int)
        count = mark_read(current_user, portfolio_id=about)
        db.session.commit()
        flash(f"Marked {count} notice{'' if count == 1 else 's'} as read." if count else
              "Nothing was unread.", "success")
    return redirect(url_for(".index"))
