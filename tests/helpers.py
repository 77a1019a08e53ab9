"""Constants the tests share (conftest.py holds the fixtures)."""

from werkzeug.security import generate_password_hash

PASSWORD = "correct horse battery"
# Hashing is slow on purpose; hash once for the whole run.
PASSWORD_HASH = generate_password_hash(PASSWORD)
