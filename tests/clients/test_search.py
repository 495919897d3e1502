"""Finding a client at the counter by the end of her number: an index range, not a scan."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from glowpos.clients.selectors import _next_prefix, find_clients
from tests import factories


@pytest.mark.parametrize(
    ("prefix", "upper"), [("4321", "4322"), ("4329", "433"), ("0999", "1"), ("9999", None)]
)
def test_next_prefix_bounds_every_string_with_the_prefix(prefix, upper):
    assert _next_prefix(prefix) == upper


def test_suffix_search_finds_numbers_ending_in_nines_and_nothing_else(clinic):
    ends_9999 = factories.client(clinic, name="Asha", phone="98765 49999")
    factories.client(clinic, name="Bina", phone="98765 50000")
    ends_0999 = factories.client(clinic, name="Chitra", phone="98765 40999")
    assert list(find_clients(business=clinic.business, query="9999")) == [ends_9999]
    assert set(find_clients(business=clinic.business, query="0999")) == {ends_0999}


def test_fewer_than_four_digits_are_refused_naming_q(clinic):
    from glowpos.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        list(find_clients(business=clinic.business, query="999"))
    assert "q" in refused.value.fields


def test_suffix_search_is_a_range_on_the_reversed_digits_not_a_like(clinic):
    factories.client(clinic, phone="98765 43210")
    with CaptureQueriesContext(connection) as queries:
        list(find_clients(business=clinic.business, query="3210"))
    sql = queries.captured_queries[-1]["sql"]
    assert "phone_reversed" in sql and "LIKE" not in sql.upper()
