"""The `flask qcrm …` command group: set-up, users, tokens, demo data, the outbox."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select

from qcrm import accounts, demo, mail, scheduler, two_factor
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.mail import MailReport
from qcrm.models import MailStatus, Role, User


@click.group("qcrm", cls=AppGroup)
def qcrm_cli() -> None:
    """Q-CRM administration."""


def _fail(error: ServiceError) -> None:
    raise click.ClickException(str(error))


@qcrm_cli.command("init")
@click.option("--admin-email", help="E-mail of the first admin (asked for when missing).")
@click.option("--admin-name", default="Administrator", show_default=True)
@click.option("--admin-password", help="Password of the first admin (asked for when missing).")
@click.option("--no-admin", is_flag=True, help="Only upgrade the database.")
def init_command(admin_email, admin_name, admin_password, no_admin) -> None:
    """Upgrade the database to the newest schema and create the first admin."""
    upgrade()
    click.echo("Database schema is up to date.")
    if no_admin or db.session.scalar(select(User.id).where(User.role == Role.ADMIN).limit(1)):
        return
    email = admin_email or click.prompt("E-mail of the first admin")
    password = admin_password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, _report = accounts.create_user(
            accounts.UserData(email=email, name=admin_name, role=Role.ADMIN), password=password
        )
    except ServiceError as error:
        _fail(error)
    click.echo(f"Admin {user.email} created.")


@qcrm_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True, help="The user's role."
)
@click.option("--password", help="Set this password instead of mailing an invitation.")
@click.option("--all-clients", is_flag=True, help="Managers only: sees every client.")
@click.option("--client", "client_ids", type=int, multiple=True, help="Client id the user sees.")
def create_user_command(email, name, role, password, all_clients, client_ids) -> None:
    """Create a user; without --password they get an invitation mail."""
    try:
        user, report = accounts.create_user(
            accounts.UserData(
                email=email,
                name=name,
                role=Role(role),
                all_clients=all_clients,
                client_ids=tuple(client_ids),
            ),
            password=password,
        )
    except ServiceError as error:
        _fail(error)
    click.echo(f"User {user.email} ({user.role.value}) created.")
    if report is not None:
        click.echo(_invitation_outcome(report))


def _invitation_outcome(report: MailReport) -> str:
    """What became of the invitation mail: "e-mailed" only once a mail server took it."""
    if report.status is MailStatus.SENT:
        return "Invitation e-mailed."
    if report.status is MailStatus.BOUNCED:
        return f"Invitation not delivered: the mail server refused the address ({report.error})."
    if report.status is MailStatus.FAILED:
        again = "it is retried automatically" if report.retrying else "it is not retried"
        return f"Invitation not sent yet ({report.error}); {again}."
    return "Invitation queued; it will be sent shortly."


@qcrm_cli.command("reset-two-factor")
@click.argument("email")
def reset_two_factor_command(email: str) -> None:
    """Remove a user's second factor (e.g. the only admin lost their phone and recovery codes)."""
    user = db.session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"No user with the e-mail address {email}.")
    two_factor.reset_by_admin(user, acting=None)
    click.echo(f"Two-factor login of {user.email} is reset; they set it up again at next login.")


@qcrm_cli.group("token")
def token_cli() -> None:
    """Personal API tokens."""


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
@click.option(
    "--valid-through",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day the token works (YYYY-MM-DD, at most two years ahead); default: until revoked.",
)
def create_token_command(email: str, name: str, valid_through: dt.datetime | None) -> None:
    """Create an API token for a user and print it (it is shown only once)."""
    user = db.session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"No user with the e-mail address {email}.")
    try:
        _token, plaintext = accounts.create_api_token(
            user, name, valid_through.date() if valid_through else None
        )
    except ServiceError as error:
        _fail(error)
    click.echo(plaintext)


@qcrm_cli.command("demo")
def demo_command() -> None:
    """Load the demo data set (again without duplicates) and print the demo logins."""
    logins = demo.load_demo(current_app.instance_path)
    click.echo("Demo data is loaded. Demo logins (also in instance/demo-logins.txt):")
    for login in logins:
        click.echo(f"  {login.role:<10} {login.email:<32} {login.password}")
    if not two_factor.required_roles():
        click.echo(
            "Two-factor login is required for no role in this database (an admin can require "
            "it under Security); each user can switch it on in their profile."
        )


@qcrm_cli.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once and exit (for cron or tests).")
def scheduler_command(once: bool) -> None:
    """Run the scheduler: outbox, due inquiries, e-mail sending, replies, timeouts."""
    app = current_app._get_current_object()
    if once:
        failed = scheduler.run_once(app)
        click.echo(f"Scheduler jobs ran once; {failed} failed.")
        raise SystemExit(1 if failed else 0)
    scheduler.run_forever(app)


@qcrm_cli.group("outbox")
def outbox_cli() -> None:
    """The mail outbox."""


@outbox_cli.command("send")
def outbox_send_command() -> None:
    """Send every queued mail that is due, and retry failed ones."""
    click.echo(f"{mail.deliver_due()} mail(s) sent.")
