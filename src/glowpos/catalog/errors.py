from glowpos.errors import DomainError


class TaxRateMissing(DomainError):
    code = "tax_rate_missing"
    status = 409
