def test_signup_creates_user(client):
    response = client.post(
        "/users/signup",
        json={"email": "bob@example.com", "full_name": "Bob", "password": "hunter22hunter"},
    )
    assert response.status_code == 201
    assert response.json()["email"] == "bob@example.com"


def test_signup_rejects_duplicate_email(client, user):
    response = client.post(
        "/users/signup",
        json={"email": user.email, "password": "another-password"},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Email already registered"}


def test_login_returns_token(client, user):
    response = client.post(
        "/users/login",
        data={"username": "alice@example.com", "password": "correct horse battery"},
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


def test_login_wrong_password(client, user):
    response = client.post("/users/login", data={"username": user.email, "password": "nope"})
    assert response.status_code == 401


def test_read_me(auth_client, user):
    response = auth_client.get("/users/me")
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_read_missing_user(auth_client):
    response = auth_client.get("/users/9999")
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}
