"""Health endpoints, security headers and CSRF protection."""

from __future__ import annotations

from tests.conftest import login


def test_healthz_answers_without_the_database(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_readyz_reports_an_unreachable_database_as_503(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts(client, world):
    login(client, world.admin)
    for path in ["/login", "/home", "/clients/", "/admin/users", "/profile"]:
        html = client.get(path).data.decode()
        assert "<script>" not in html and " on" + "click=" not in html, path


def test_forms_without_csrf_token_are_refused(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login(client, world.manager)
    response = client.post("/clients/new", data={"name": "Ohne Token", "kind": "own"})
    assert response.status_code == 400
    assert b"CSRF" in response.data or b"could not be processed" in response.data
    assert client.post("/login", data={"email": "x@y.example", "password": "x"}).status_code == 400


def test_forms_with_csrf_token_are_accepted(make_app, world):
    import re

    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login(client, world.manager)
    page = client.get("/clients/new").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/clients/new", data={"name": "Mit Token", "kind": "own", "csrf_token": token}
    )
    assert response.status_code == 302


def test_user_input_is_escaped(client, world):
    login(client, world.manager)
    client.post("/clients/new", data={"name": "<script>alert(1)</script>", "kind": "own"})
    html = client.get("/clients/").data
    assert b"<script>alert(1)</script>" not in html
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Not found" in response.data


def test_unknown_api_path_is_a_404_problem(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
