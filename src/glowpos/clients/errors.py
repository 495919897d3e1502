from glowpos.errors import DomainError


class DuplicateClient(DomainError):
    code = "duplicate_client"
    status = 409
