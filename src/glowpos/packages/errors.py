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
