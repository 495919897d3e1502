from glowpos.errors import DomainError


class PackageExhausted(DomainError):
    code = "package_exhausted"


class PackageExpired(DomainError):
    code = "package_expired"


class PackageFrozen(DomainError):
    code = "package_frozen"


class PackageNotActive(DomainError):
    code = "package_not_active"


class PackageNotApplicable(DomainError):
    code = "package_not_applicable"


class IntervalTooShort(DomainError):
    """Sooner than the service's minimum interval: a manager may override, with a reason."""

    code = "interval_too_short"


class HoldsPending(DomainError):
    code = "package_has_holds"
