"""Pages of two-factor login: the code step after the password, set-up on the profile, the
admin's security settings and reset. Routes live on the auth and admin blueprints."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from qcrm import two_factor
from qcrm.admin import bp as admin_bp
from qcrm.auth import bp
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import ROLE_LABELS, ConfirmForm, put_errors_on_form
from qcrm.login import drop_pending_login, log_in, pending_login
from qcrm.models import Role, User
from qcrm.permissions import ALL_ROLES, allow, is_api_request, public, rule_for

#: What a user who must set up two-factor login may still open.
ENROLMENT_ENDPOINTS = frozenset(
    {
        "auth.two_factor_settings",
        "auth.two_factor_start",
        "auth.two_factor_confirm",
        "auth.logout",
        "auth.switch_language",
    }
)


class TwoFactorCodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])


class TwoFactorOffForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])


class SecuritySettingsForm(FlaskForm):
    """One checkbox per role: must its users log in with a second factor?"""

    require_admin = BooleanField(ROLE_LABELS[Role.ADMIN])
    require_manager = BooleanField(ROLE_LABELS[Role.MANAGER])
    require_tester = BooleanField(ROLE_LABELS[Role.TESTER])
    require_executive = BooleanField(ROLE_LABELS[Role.EXECUTIVE])

    def role_fields(self):
        return [self[f"require_{role.value}"] for role in Role]

    def chosen_roles(self) -> list[Role]:
        return [role for role in Role if self[f"require_{role.value}"].data]


# The code step of the login -----------------------------------------------------------------


def _restart_login(message: str) -> Response:
    drop_pending_login()
    flash(message, "warning")
    return redirect(url_for("auth.login"))


@bp.route("/login/two-factor", methods=["GET", "POST"])
@public
def two_factor_login():
    """The second login step: the code from the authenticator app or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    found = pending_login()
    if found is None:
        return _restart_login(_("Your login has expired. Please log in again."))
    user, pending = found
    form = TwoFactorCodeForm()
    status = 200
    if form.validate_on_submit():
        outcome = two_factor.check_login_code(
            user, pending["attempt"], form.code.data, request.remote_addr or "unknown"
        )
        if outcome is two_factor.CodeCheck.ACCEPTED:
            log_in(user, remember=pending["remember"])
            return redirect(pending["next"] or url_for("main.home"))
        if outcome is two_factor.CodeCheck.LOGIN_SPENT:
            return _restart_login(_("Too many wrong codes. Please log in again."))
        status = 429 if outcome is two_factor.CodeCheck.ACCOUNT_BRAKED else 400
        form.code.errors = [
            _("Too many wrong codes for this account. Try again in an hour.")
            if outcome is two_factor.CodeCheck.ACCOUNT_BRAKED
            else _("The code is not correct.")
        ]
    elif form.errors:
        status = 400
    return render_template("auth/two_factor_login.html", form=form), status


@bp.before_app_request
def require_enrolment() -> Response | None:
    """A user whose role requires two-factor login uses nothing but its set-up until it is on
    (the API authenticates with bearer tokens and is not affected)."""
    if is_api_request() or request.endpoint is None or request.endpoint in ENROLMENT_ENDPOINTS:
        return None
    # evaluated when the session loaded the user (no query of its own): a requirement the
    # admin sets counts for sessions that are already open
    if not current_user.is_authenticated or not current_user.two_factor_enrolment_needed:
        return None
    rule = rule_for(current_app, request.endpoint, request.method)
    if rule is None or rule.public:
        return None
    return redirect(url_for("auth.two_factor_settings"))


# Set-up on the profile ----------------------------------------------------------------------


def _render_two_factor(status: int = 200, recovery_codes: list[str] | None = None, **forms):
    user = current_user._get_current_object()
    secret = two_factor.pending_secret(user)
    uri = two_factor.provisioning_uri(user, secret) if secret else None
    return render_template(
        "auth/two_factor.html",
        enabled_since=two_factor.enabled_since(user),
        required=user.role in two_factor.required_roles(),
        codes_left=two_factor.recovery_codes_left(user),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) if secret else None,
        qr_code=two_factor.qr_code_data_uri(uri) if uri else None,
        recovery_codes=recovery_codes,
        start_form=ConfirmForm(),
        confirm_form=forms.get("confirm_form") or TwoFactorCodeForm(prefix="confirm"),
        renew_form=forms.get("renew_form") or TwoFactorCodeForm(prefix="renew"),
        off_form=forms.get("off_form") or TwoFactorOffForm(prefix="off"),
    ), status


@bp.route("/profile/two-factor")
@allow(*ALL_ROLES)
def two_factor_settings():
    return _render_two_factor()


@bp.route("/profile/two-factor/start", methods=["POST"])
@allow(*ALL_ROLES)
def two_factor_start():
    """Make a new secret to scan (replacing an unconfirmed one)."""
    if ConfirmForm().validate_on_submit():
        try:
            two_factor.start_enrolment(current_user)
        except ServiceError as error:
            flash(" ".join(m for ms in error.errors.values() for m in ms), "warning")
    return redirect(url_for("auth.two_factor_settings"))


@bp.route("/profile/two-factor/confirm", methods=["POST"])
@allow(*ALL_ROLES)
def two_factor_confirm():
    form = TwoFactorCodeForm(prefix="confirm")
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(current_user, form.code.data)
        except ServiceError as error:
            put_errors_on_form(form, error)
        else:
            flash(_("Two-factor login is on."), "success")
            return _render_two_factor(recovery_codes=codes)
    return _render_two_factor(400, confirm_form=form)


@bp.route("/profile/two-factor/recovery-codes", methods=["POST"])
@allow(*ALL_ROLES)
def two_factor_recovery_codes():
    form = TwoFactorCodeForm(prefix="renew")
    if form.validate_on_submit():
        try:
            codes = two_factor.renew_recovery_codes(current_user, form.code.data)
        except ServiceError as error:
            put_errors_on_form(form, error)
        else:
            flash(_("New recovery codes are made; the old ones no longer work."), "success")
            return _render_two_factor(recovery_codes=codes)
    return _render_two_factor(400, renew_form=form)


@bp.route("/profile/two-factor/off", methods=["POST"])
@allow(*ALL_ROLES)
def two_factor_off():
    form = TwoFactorOffForm(prefix="off")
    if form.validate_on_submit():
        try:
            two_factor.switch_off(current_user, form.password.data, form.code.data)
        except ServiceError as error:
            put_errors_on_form(form, error)
        else:
            flash(_("Two-factor login is off."), "success")
            return redirect(url_for("auth.two_factor_settings"))
    return _render_two_factor(400, off_form=form)


# Admin --------------------------------------------------------------------------------------


@admin_bp.route("/security", methods=["GET", "POST"])
@allow(Role.ADMIN)
def security_settings():
    """Which roles must log in with a second factor."""
    form = SecuritySettingsForm()
    if request.method == "GET":
        for role in two_factor.required_roles():
            form[f"require_{role.value}"].data = True
    if form.validate_on_submit():
        two_factor.set_required_roles(form.chosen_roles(), acting=current_user)
        flash(_("The security settings are saved."), "success")
        return redirect(url_for("admin.security_settings"))
    return render_template(
        "admin/security_settings.html", form=form, waiting=two_factor.users_still_to_set_up()
    ), (400 if form.errors else 200)


@admin_bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@allow(Role.ADMIN)
def reset_two_factor(user_id: int):
    """Remove a user's second factor (lost phone); they set it up again at the next login."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        two_factor.reset_by_admin(user, acting=current_user)
        flash(_("The two-factor login of %(name)s is reset.", name=user.name), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


admin_bp.add_app_template_global(two_factor.enabled_since, "two_factor_since")
admin_bp.add_app_template_global(two_factor.enabled_user_ids, "two_factor_user_ids")
