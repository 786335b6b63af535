"""Login, logout, password reset, invitations, the user's profile and API tokens."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from qcrm import accounts, two_factor
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db, limiter, login_manager
from qcrm.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    ConfirmForm,
    LanguagePreferenceForm,
    LanguageSwitchForm,
    LoginForm,
    PasswordResetRequestForm,
    SetPasswordForm,
    put_errors_on_form,
)
from qcrm.login import begin_pending_login, log_in, safe_next_url
from qcrm.models import ApiToken, User
from qcrm.permissions import ALL_ROLES, allow, enforce_access, is_api_request, public

bp = Blueprint("auth", __name__)


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    app.before_request(load_api_user)
    app.before_request(load_session_user)
    app.before_request(enforce_access)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the session's user. A stale session version (password changed) or a session ended
    on the server (logged out, timed out) ends it, whatever the cookie says."""
    try:
        raw_id, raw_version, secret = user_id.split(":", 2)
        user = two_factor.load_session_user(int(raw_id))
        version = int(raw_version)
    except ValueError:
        return None
    if user is None or not user.active or user.session_version != version or not secret:
        return None
    state = accounts.check_session(user, secret)
    if state is accounts.SessionState.EXPIRED:
        flash(_("Your session has expired. Please log in again."), "info")
    if state is not accounts.SessionState.VALID:
        return None
    user.session_secret = secret
    return user


def load_session_user() -> None:
    """Check the login session first thing: its bookkeeping (last activity, expiry) commits,
    which must not happen halfway through a view's own transaction."""
    if not is_api_request():
        current_user._get_current_object()


def load_api_user() -> None:
    """API requests authenticate with a bearer token only (never with the session cookie)."""
    if not is_api_request():
        return
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    g.api_user = (
        accounts.user_for_api_token(token.strip()) if scheme.lower() == "bearer" and token else None
    )


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _login_email() -> str:
    return accounts.normalize_email(request.form.get("email", ""))


def _account_key() -> str:
    return "login-account:" + _login_email()


def _account_and_address_key() -> str:
    return f"login-account-address:{_login_email()}:{_client_address()}"


def _login_failed(response) -> bool:
    return bool(g.get("login_failed"))


def _record_throttled(_limit) -> None:
    """Note a refused login in the account's history (once, however many limits it broke)."""
    if not g.get("login_throttle_recorded"):
        g.login_throttle_recorded = True
        accounts.record_throttled_login(request.form.get("email", ""), _client_address())


def _login_limit(setting: str, scope: str, key_func=None):
    """Count failed logins only; a successful login costs nothing."""
    return limiter.limit(
        lambda: current_app.config[setting],
        key_func=key_func,
        methods=["POST"],
        deduct_when=_login_failed,
        scope=scope,
        on_breach=_record_throttled,
    )


@bp.route("/login", methods=["GET", "POST"])
@public
@_login_limit(
    "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", "login-account-address", _account_and_address_key
)
@_login_limit("LOGIN_FAILURES_PER_ACCOUNT", "login-account", _account_key)
@_login_limit("LOGIN_FAILURES_PER_ADDRESS", "login-address")
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(
            form.email.data, form.password.data, _client_address(), two_factor.is_enabled
        )
        if user is not None:
            if begin_pending_login(user, form.remember.data, request.args.get("next")):
                return redirect(url_for("auth.two_factor_login"))
            log_in(user, remember=form.remember.data)
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.home"))
        g.login_failed = True
        form.password.errors = [_("E-mail or password is not correct.")]
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(*ALL_ROLES)
def logout():
    """End this session on the server too, so that a copy of its cookie stops working."""
    accounts.end_session(current_user.session_secret)
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile/sessions/end", methods=["POST"])
@allow(*ALL_ROLES)
def logout_everywhere():
    """End every session of the user, on every device (API tokens stay valid)."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.profile"))
    accounts.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("You are logged out on all your devices."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"], scope="password-forgot")
def forgot_password():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        flash(
            _(
                "If an account uses this address, a link to reset the password will be "
                "e-mailed to it."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


def _set_password_page(purpose: str, token: str, template: str):
    user = accounts.user_for_password_token(token, purpose)
    if user is None:
        return render_template("auth/link_invalid.html"), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.set_password_with_token(token, purpose, form.password.data)
        except ServiceError as error:
            put_errors_on_form(form, error)
        else:
            # a mailed link never skips the second factor
            second_step = begin_pending_login(user, remember=False, next_target=None)
            if not second_step:
                log_in(user)
            flash(_("Your password is set."), "success")  # (after the session was renewed)
            return redirect(url_for("auth.two_factor_login" if second_step else "main.home"))
    return render_template(template, form=form, user=user)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    return _set_password_page("reset", token, "auth/reset_password.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    return _set_password_page("invite", token, "auth/accept_invitation.html")


@bp.route("/language", methods=["POST"])
@public
def switch_language():
    """Switch the interface language; remembered in the session and, when logged in, the profile."""
    form = LanguageSwitchForm()
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            accounts.set_language(current_user, form.language.data)
    return redirect(safe_next_url(request.form.get("next")) or url_for("main.home"))


@bp.route("/profile")
@allow(*ALL_ROLES)
def profile():
    return _render_profile()


def _render_profile(**forms):
    language_form = forms.get("language_form") or LanguagePreferenceForm(
        language=current_user.language or ""
    )
    return render_template(
        "auth/profile.html",
        password_form=forms.get("password_form") or ChangePasswordForm(),
        language_form=language_form,
        token_form=forms.get("token_form") or ApiTokenForm(),
        revoke_form=ConfirmForm(),
        new_token=forms.get("new_token"),
        tokens=[t for t in current_user.api_tokens if not t.is_revoked],
        now=utcnow(),
        login_history=accounts.login_history(current_user),
    )


@bp.route("/profile/password", methods=["POST"])
@allow(*ALL_ROLES)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except ServiceError as error:
            put_errors_on_form(form, error)
        else:
            # this session continues with the new session version; the others end
            login_user(current_user._get_current_object())
            flash(_("Your password is changed; your other sessions have ended."), "success")
            return redirect(url_for("auth.profile"))
    return _render_profile(password_form=form), 400


@bp.route("/profile/language", methods=["POST"])
@allow(*ALL_ROLES)
def save_language():
    form = LanguagePreferenceForm()
    if form.validate_on_submit():
        accounts.set_language(current_user, form.language.data or None)
        session.pop("language", None)
        flash(_("Your language preference is saved."), "success")
        return redirect(url_for("auth.profile"))
    return _render_profile(language_form=form), 400


@bp.route("/profile/tokens", methods=["POST"])
@allow(*ALL_ROLES)
def create_token():
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            _token, plaintext = accounts.create_api_token(
                current_user, form.name.data, form.expires_on.data
            )
        except ServiceError as error:
            put_errors_on_form(form, error)
        else:
            return _render_profile(new_token=plaintext)
    return _render_profile(token_form=form), 400


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@allow(*ALL_ROLES)
def revoke_token(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        accounts.revoke_api_token(token)
        flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.profile"))
