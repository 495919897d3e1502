from glowpos.errors import DomainError


class BadCredentials(DomainError):
    code = "invalid_credentials"
    status = 401


class LoginThrottled(DomainError):
    code = "throttled"
    status = 429
