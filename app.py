"""The WSGI app, found by `flask --app app` and `gunicorn app:app`."""
from leadcrm import create_app

app = create_app()
