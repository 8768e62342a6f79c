import pytest

from tests.conftest import login


def signup(client, email="new@example.com", workspace="Initech", password="longenough", confirm=None):
    return client.post(
        "/signup",
        data={"workspace": workspace, "email": email, "password": password, "confirm": confirm or password},
    )


def test_signup_creates_workspace_and_owner_and_logs_in(client, app):
    response = signup(client)
    assert response.status_code == 303
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Initech" in page and "new@example.com" in page and "Log out" in page
    assert "Import Leads" in page and "System Health" not in page
    with app.app_context():
        from leadcrm.extensions import db
        from leadcrm.models import User

        user = db.session.scalar(db.select(User).filter_by(email="new@example.com"))
        assert user.workspace.name == "Initech" and not user.is_super_admin
        assert user.password_hash != "longenough" and user.check_password("longenough")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"email": "not-an-email"}, "Invalid email address"),
        ({"password": "short"}, "at least 8 characters"),
        ({"confirm": "different1"}, "The passwords differ"),
        ({"workspace": ""}, "This field is required"),
    ],
)
def test_signup_refuses_bad_input_with_a_message(client, kwargs, message):
    response = signup(client, **kwargs)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_signup_refuses_taken_email_and_taken_workspace(client, user):
    taken_email = signup(client, email=user["email"].upper())
    assert "already registered" in taken_email.get_data(as_text=True)
    taken_workspace = signup(client, workspace="  ACME ")
    assert "already exists" in taken_workspace.get_data(as_text=True)


def test_login_page_has_labelled_fields(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<label for="email">Email</label>' in page
    assert '<label for="password">Password</label>' in page
    assert ">Log in</button>" in page


def test_login_and_logout(client, user):
    wrong = login(client, user["email"], "wrong password")
    assert wrong.status_code == 200 and "Wrong email or password" in wrong.get_data(as_text=True)
    assert login(client, " OWNER@example.com ").status_code == 303
    assert client.get("/leads/").status_code == 200
    assert client.post("/logout").status_code == 303
    assert client.get("/leads/").status_code == 302


def test_login_redirects_only_to_local_next(client, user):
    response = client.post("/login?next=https://evil.example/", data={"email": user["email"], "password": user["password"]})
    assert response.headers["Location"] == "/leads/"
    client.post("/logout")
    response = client.post("/login?next=/imports/", data={"email": user["email"], "password": user["password"]})
    assert response.headers["Location"] == "/imports/"


def test_every_page_but_login_signup_and_healthz_requires_login(app, client):
    public = {"auth.login", "auth.signup", "health.healthz", "static"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public:
            continue
        url = rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/login"), (method, url)
            checked += 1
    assert checked >= 5
    assert client.get("/healthz").status_code == 200


def test_super_admin_sees_system_health_in_sidebar(app, client):
    with app.app_context():
        from tests.conftest import make_user

        make_user("root@example.com", workspace="Ops", super_admin=True)
    login(client, "root@example.com")
    assert "System Health" in client.get("/leads/").get_data(as_text=True)
