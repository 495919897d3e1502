from glowpos.errors import DomainError


class BillNotOpen(DomainError):
    code = "bill_not_open"


class PaymentMismatch(DomainError):
    code = "payment_mismatch"


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"


class EmptyBill(DomainError):
    code = "bill_empty"


class DiscountNeedsApproval(DomainError):
    code = "discount_needs_approval"
    status = 403
