"""A secret of this installation, generated on first use and kept under ``APIS_VAR_DIR`` (mode 0600).

For development (``APIS_DEBUG=1`` without ``APIS_SECRET_KEY``) and the demo: each installation gets its own
random key, so nothing signed by one (sessions, JWTs, password-reset links) is accepted by another, and the
key survives restarts. Plain Python: the settings module calls it before Django is set up.
"""

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

SECRET_FILE = "secret_key"
SECRET_BYTES = 50  # token_urlsafe(50): 67 characters, well above Django's 50-character deploy check


def installation_secret(directory: Path, name: str = SECRET_FILE) -> str:
    """The secret kept in ``directory/name``, created (0600) on the first call.

    Creation is atomic: the key is written to a private temporary file that is then hard-linked into
    place, so concurrent first calls (several workers starting) all read the one key that won."""
    path = directory / name
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(SECRET_BYTES))
            with contextlib.suppress(FileExistsError):  # another process was first: its key wins
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    secret = path.read_text().strip()
    if not secret:
        raise ValueError(f"{path} is empty: delete it to have a new secret generated")
    return secret
