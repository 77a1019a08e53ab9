"""The evidence portfolio app: create_app() builds it."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from . import audit, config, observe, suggest, units
from .blobs import from_url
from .clock import UK
from .coverage_words import in_sentence, method_list, rule_of
from .errors import DomainError
from .extensions import bootstrap, csrf, db, limiter, login_manager, migrate
from .models import Role
from .notify import unread_count
from .storage import EvidenceStore
from .text import render_markdown

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app. Settings: environment, then instance/config.py, then test_config."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path
                or os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings = config.from_environment(Path(app.instance_path), ROOT)
    app.config.from_mapping(settings)
    app.config.from_pyfile("config.py", silent=True)  # instance/config.py, never committed
    if test_config:
        app.config.update(test_config)
    app.config["SECRET_KEY_GENERATED"] = (settings["SECRET_KEY_GENERATED"]
                                          and app.config["SECRET_KEY"] == settings["SECRET_KEY"])
    config.check(app.config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(app.config)
    if app.config.get("TRUSTED_PROXIES"):
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # Several servers on one database need one key and one signing identity, or sessions
        # fail between them and each signs PDFs the others cannot verify.
        if app.config.get("SECRET_KEY_GENERATED"):
            app.logger.warning("SECRET_KEY was generated on this machine (instance/secret_key):"
                               " every server of the centre must share one; set SECRET_KEY.")
        if not app.config.get("SIGNING_P12"):
            app.logger.warning("SIGNING_P12 is not set: this machine makes its own signing "
                               "certificate (instance/signing/); every server of the centre "
                               "must share one, or PDFs signed here fail verification there.")

    db.init_app(app)
    # user_module_prefix: new migrations name our column types as portfolio.models.X, as the
    # existing ones do, wherever the type now lives in the package.
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     user_module_prefix="portfolio.models.")
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    units.init_app(app)
    suggest.init_app(app)
    _init_storage(app)
    observe.init_app(app)

    from . import account, auth, cli, notify  # noqa: F401  (notify: mail after each commit)
    from .account import bp as account_bp
    from .admin import bp as admin_bp
    from .assessment import bp as assessment_bp
    from .auth import bp as auth_bp
    from .auth.oidc_client import init_app as init_oidc
    from .eqa import bp as eqa_bp
    from .eqa.views import init_app as init_eqa
    from .evidence import bp as evidence_bp
    from .export.views import bp as export_bp
    from .inbox import bp as inbox_bp
    from .iqa import bp as iqa_bp
    from .portfolios import bp as portfolios_bp
    from .retention import bp as retention_bp
    from .signoff import bp as signoff_bp
    from .suggestions import bp as suggestions_bp
    from .witness import bp as witness_bp

    auth.init_login(login_manager)
    init_oidc(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(portfolios_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(assessment_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(signoff_bp)
    app.register_blueprint(witness_bp)
    app.register_blueprint(export_bp)
    app.register_blueprint(iqa_bp)
    app.register_blueprint(eqa_bp)
    app.register_blueprint(retention_bp)
    app.register_blueprint(suggestions_bp)
    account.init_app(app)  # staff who must use two-step sign-in set it up first
    init_eqa(app)
    cli.init_app(app)
    _register_error_pages(app)
    _register_template_helpers(app)
    app.after_request(_security_headers)
    return app


def _init_storage(app: Flask) -> None:
    """The evidence store and the export store: local folders, or one S3 bucket."""
    url, cache = app.config["STORAGE_URL"], Path(app.config["STORE_CACHE_DIR"])
    evidence = from_url(url, local_root=app.config["EVIDENCE_DIR"], part="evidence", cache=cache)
    app.extensions["evidence_store"] = EvidenceStore(evidence, work=cache / "work" if url else None)
    if url:  # without it, the export store follows EXPORT_DIR (export/services.py)
        app.extensions["export_blobs"] = from_url(url, local_root="", part="exports",
                                                  cache=cache)


def _security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_user and getattr(current_user, "is_authenticated", False):
        response.headers.setdefault("Cache-Control", "no-store")  # no portfolio in shared caches
    return response


# Form fields whose text we show back after a failed submit, so nothing typed is lost.
_ECHO_SKIP = {"csrf_token", "submission_key", "version", "password", "password2",
              "current_password", "code"}  # code: a two-step or recovery code


def _posted_text() -> list[tuple[str, str]]:
    if request.method != "POST":
        return []
    try:
        return [(k, v) for k, v in request.form.items(multi=True)
                if k not in _ECHO_SKIP and v.strip()]
    except Exception:  # the body itself may be what was refused
        return []


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template(
            "errors/stale_form.html", posted=_posted_text(),
            reason="This form had expired (for example you were signed out, or the page was "
                   "opened in another browser session), so it was not saved."), 400

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        limit = app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)
        return render_template(
            "errors/error.html", code=413, title="That upload is too large",
            message=f"Nothing was saved. One file may be at most {limit} MB, and one upload at "
                    f"most {app.config['MAX_FILES_PER_UPLOAD']} files. Go back: your text is "
                    "still in the form; attach smaller files."), 413

    @app.errorhandler(DomainError)
    def domain_error(error):
        # Views catch the errors they expect and re-show their form; this is the safety net,
        # and it still shows back what was typed.
        return render_template("errors/error.html", code=error.status_code,
                               title="That could not be done", message=str(error),
                               posted=_posted_text()), error.status_code

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code >= 500:  # a failed flush leaves the session unusable for the page itself
            db.session.rollback()
        titles = {403: "You do not have access to this", 404: "Page not found",
                  405: "That action is not available here", 503: "Temporarily unavailable",
                  429: "Too many sign-in attempts"}
        messages = {403: "Your account cannot do this for this portfolio. If you think it "
                         "should, ask your centre administrator.",
                    429: "There have been too many attempts to sign in, from here or to "
                         "this account, in a short time, so this one was not tried. Wait a "
                         "minute and sign in again. If you did not make them, tell your "
                         "centre's administrator.",
                    404: "There is nothing here, or it is not shared with you."}
        return render_template(
            "errors/error.html", code=error.code,
            title=titles.get(error.code, error.name),
            message=messages.get(error.code, error.description)), error.code


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    # The criterion's rule in words, as the gap panel says it ("AC 2.4 is met by ...").
    app.jinja_env.globals["rule_of"] = rule_of
    app.jinja_env.globals["method_list"] = method_list
    app.jinja_env.filters["in_sentence"] = in_sentence
    app.jinja_env.filters["event_label"] = audit.label

    @app.template_filter("day")
    def day(value: date | datetime | str | None) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):  # an ISO date kept in a version's content
            value = date.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.astimezone(UK)
        return f"{value.day} {value:%B %Y}"

    @app.template_filter("when")
    def when(value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(UK)
        return f"{local.day} {local:%B %Y, %H:%M}"

    @app.template_filter("unit_title")
    def unit_title(unit_id: str) -> str:
        """A unit's name for people ("Unit 40: Resolve Customers’ Complaints"), not its id."""
        unit = units.all_units().get(unit_id)
        return unit.name if unit else unit_id

    @app.template_filter("filesize")
    def filesize(size: int) -> str:
        for unit in ("bytes", "KB", "MB", "GB"):
            if size < 1024 or unit == "GB":
                return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
            size /= 1024
        return str(size)

    @app.context_processor
    def globals_():
        signed_in = current_user and getattr(current_user, "is_authenticated", False)
        return {"centre_name": app.config["CENTRE_NAME"], "now_utc": datetime.now(UTC),
                "unit_problems": units.unit_problems(),
                "inbox_unread": unread_count(current_user) if signed_in else 0}


def home_for(user) -> str:
    """Where a user lands after login."""
    if user.role == Role.ADMIN:
        return url_for("admin.index")
    return url_for("portfolios.index")

