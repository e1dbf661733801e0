"""Who is calling: JWT bearer tokens with roles, and staff accounts with hashed passwords."""

from hub.auth.models import Principal, Role
from hub.auth.tokens import TokenIssuer

__all__ = ["Principal", "Role", "TokenIssuer"]
