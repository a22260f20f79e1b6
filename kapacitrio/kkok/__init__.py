"""The kkok-style alert router: pool, filters, routes and transports."""
