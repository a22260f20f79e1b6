"""Authentication and authorization of the HTTP API: users, credentials, JWTs, TLS, cross-site rules."""
