"""The local AWS's own secrets: an access key pair, the registry login and the event token.

Made once with the `secrets` module and kept in a 0600 file, so shells and Terraform state that
used them stay valid across restarts. Never printed by the tool unless the user asks (aws.env).
"""
import json
import secrets
import string
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import UserError
from ..files import write_private


@dataclass(frozen=True)
class LocalCredentials:
    access_key_id: str
    secret_access_key: str
    registry_password: str
    events_token: str

    @classmethod
    def load_or_create(cls, path: Path) -> "LocalCredentials":
        if path.exists():
            return cls._load(path)
        alphabet = string.ascii_uppercase + string.digits
        made = cls(access_key_id="AKIA" + "".join(secrets.choice(alphabet) for _ in range(16)),
                   secret_access_key=secrets.token_urlsafe(30),
                   registry_password=secrets.token_urlsafe(24),
                   events_token=secrets.token_urlsafe(24))
        try:
            write_private(path, json.dumps(asdict(made)), exclusive=True)
        except FileExistsError:
            return cls._load(path)    # another task made them first: theirs are the ones in use
        return made

    @classmethod
    def _load(cls, path: Path) -> "LocalCredentials":
        try:
            return cls(**json.loads(path.read_text()))
        except (ValueError, TypeError):
            raise UserError(f"{path}: not a local AWS credentials file; delete it to make "
                            "new credentials (the local AWS must be stopped)") from None
