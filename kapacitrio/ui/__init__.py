"""The built-in web UI: its static files and the DAG layout it draws from."""
