"""{% delivery document %}: how the receipt reached the client (each message's state, a retry
for a failed one, the manager's revoke), drawn on the counter's receipt screen."""
from django import template

from glowpos.receipts.selectors import deliveries, revocation

register = template.Library()


@register.inclusion_tag("receipts/_delivery.html", takes_context=True)
def delivery(context, document):
    return {"request": context["request"], "csrf_token": context.get("csrf_token"), "document": document,
            "deliveries": deliveries(document=document), "revoked": revocation(document)}
