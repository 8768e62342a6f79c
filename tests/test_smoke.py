def test_login_page(client):
    r = client.get("/login")
    assert r.status_code == 200
    assert b"Log in" in r.data


def test_signup_and_sidebar(client):
    r = client.post("/signup", data={"workspace": "Acme", "email": "a@example.com", "password": "longenough", "confirm": "longenough"})
    assert r.status_code == 303, r.data
    r = client.get("/imports/")
    assert b"Import Leads" in r.data and b"Acme" in r.data
