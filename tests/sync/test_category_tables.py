"""A `[<table>.<category>]` table of either accounting integration is read by one function
(sync.category_tables): each wrong setting is refused naming the table, the setting and the fix."""

from __future__ import annotations

from datetime import date

import pytest

from scorolink.errors import ConfigError
from scorolink.integrations.quickbooks.integration import QuickBooksSyncConfig
from scorolink.integrations.xero.integration import XeroSyncConfig

CONFIGS = [(XeroSyncConfig, "xero_sync", "to-xero"), (QuickBooksSyncConfig, "quickbooks_sync", "to-quickbooks")]


@pytest.mark.parametrize(("config", "table", "outward"), CONFIGS)
def test_a_category_table_sets_enabled_direction_start_date_and_bookmark(config, table, outward):
    read = config.from_dict({"contacts": {"enabled": False, "direction": "to-scoro", "start_date": "2026-01-05",
                                          "bookmark": "Key clients"},
                             "invoices": {"direction": outward.upper()}})
    contacts, invoices = read.categories["contacts"], read.categories["invoices"]
    assert (contacts.enabled, contacts.direction, contacts.start_date) == (False, "b_to_a", date(2026, 1, 5))
    assert read.bookmarks["contacts"] == "Key clients"
    assert invoices.enabled and invoices.direction == "a_to_b"


@pytest.mark.parametrize(("config", "table", "outward"), CONFIGS)
@pytest.mark.parametrize(("values", "says"), [
    ({"accounts": {"direction": "{outward}"}}, "[{table}.accounts] direction '{outward}': use to-scoro"),
    ({"contacts": {"direction": "sideways"}}, "[{table}.contacts] direction 'sideways': use {outward} or to-scoro"),
    ({"contacts": {"start_date": "5.1.2026"}}, "[{table}.contacts] start_date '5.1.2026': write YYYY-MM-DD"),
    ({"products": {"bookmark": "Mine"}}, "[{table}.products] bookmark: bookmarks limit what is pushed from Scoro"),
    ({"contacts": "yes"}, "[{table}.contacts] must be a table"),
])
def test_a_wrong_setting_is_refused_with_its_name_and_fix(config, table, outward, values, says):
    values = {name: {k: v.format(outward=outward) for k, v in table_values.items()}
              if isinstance(table_values, dict) else table_values for name, table_values in values.items()}
    with pytest.raises(ConfigError) as refused:
        config.from_dict(values)
    assert says.format(table=table, outward=outward) in str(refused.value)
