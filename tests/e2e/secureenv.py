"""The environment of a server with authentication on, and its first admin, for e2e tests."""

SECRET = "a-shared-secret-of-at-least-32-bytes!"
ADMIN = ("admin", "admin-pass")
SECURE_ENV = {
    "KAPACITOR_HTTP_AUTH_ENABLED": "true",
    "KAPACITOR_HTTP_SHARED_SECRET": SECRET,
    "KAPACITOR_AUTH_ADMIN_USERNAME": ADMIN[0],
    "KAPACITOR_AUTH_ADMIN_PASSWORD": ADMIN[1],
    "KAPACITOR_AUTH_BCRYPT_COST": "4",  # cheap hashes: tests sign in many times
}
