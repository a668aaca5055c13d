"""One or two real examples for each command, shown at the end of its `--help` (as sqlite-utils does).

Kept apart from the command modules so every command gets them the same way: `scorolink.cli` attaches
them as the help epilog when it loads a command. Keys are the command's path after `scorolink`.
"""

from __future__ import annotations

EXAMPLES: dict[str, tuple[str, ...]] = {
    "objects": ("scorolink objects", "scorolink objects --json"),
    "describe": ("scorolink describe Invoices", "scorolink describe Companies --json"),
    "read": ("scorolink read Invoices --where 'Date >= 2024-01-01' --limit 20",
             "scorolink read Companies --columns Id,Name --format csv -o companies.csv"),
    "replicate": ("scorolink replicate --to sqlite:///scoro.db",
                  "scorolink replicate --to postgresql://me@localhost/scoro --objects Invoices,Companies",
                  "scorolink replicate --to postgresql://me@localhost/scoro --schema synchub"),
    "erd": ("scorolink erd --format svg -o scoro.svg", "scorolink erd --db sqlite:///scoro.db --by-area -o erd/"),
    "export": ("scorolink export Invoices -o invoices.csv",
               "scorolink export Companies --where 'UpdatedDate >= 2024-01-01' -o companies.csv"),
    "import": ("scorolink import Companies companies.csv --dry-run",
               "scorolink import Companies companies.csv --mode upsert --key Id --errors failed.csv"),
    "query": ("scorolink query \"SELECT Id, DocumentNumber, Sum FROM Invoices WHERE Date >= '2024-01-01'\"",
              "scorolink query --replica sqlite:///scoro.db \"SELECT Status, COUNT(*) FROM Invoices GROUP BY 1\""),
    "serve": ("scorolink serve", "scorolink serve --once"),
    "worker": ("scorolink worker --broker redis://localhost:6379/0",),
    "beat": ("scorolink beat --broker redis://localhost:6379/0",),
    "demo": ("scorolink demo", "scorolink demo --to sqlite:///demo.db --json"),
    "connection": ("scorolink connection test", "scorolink connection accounts --json"),
    "connection test": ("scorolink connection test", "scorolink --base-url https://acme.scoro.com/api/v2 "
                                                     "--company-account-id acme connection test --json"),
    "connection accounts": ("scorolink connection accounts", "scorolink connection accounts --json"),
    "connection refresh": ("scorolink connection refresh", "scorolink connection refresh --json"),
    "connection list": ("scorolink connection list", "scorolink connection list --json"),
    "connection add": ("scorolink connection add acme --subdomain acme --company-account-id acme",
                       "scorolink connection add ops --base-url https://ops.scoro.com/api/v2 --company-account-id ops "
                       "--username me@ops.example"),
    "state": ("scorolink state upgrade", "scorolink state current --json"),
    "state upgrade": ("scorolink state upgrade", "scorolink state upgrade --state postgresql://me@db/scorolink"),
    "state current": ("scorolink state current", "scorolink state current --json"),
    "state rotate-key": ("scorolink state rotate-key --new-key-file new.key",),
    "dbsync": ("scorolink dbsync Companies,Projects --db sqlite:///ops.db --dry-run",
               "scorolink dbsync Invoices --db postgresql://me@localhost/ops --conflict manual",
               "scorolink dbsync conflicts --db sqlite:///ops.db"),
    "web": ("scorolink web", "scorolink web --port 9000 --state postgresql://me@db/scorolink"),
    "web set-password": ("scorolink web set-password", "scorolink web set-password --password-stdin"),
    "jobs": ("scorolink jobs add mirror --schedule 'every 15m' --to sqlite:///scoro.db", "scorolink jobs list"),
    "jobs add": ("scorolink jobs add mirror --schedule 'every 15m' --to sqlite:///scoro.db",
                 "scorolink jobs add nightly --schedule '0 2 * * *' --to postgresql://me@localhost/scoro"),
    "jobs list": ("scorolink jobs list", "scorolink jobs list --json"),
    "jobs run-now": ("scorolink jobs run-now mirror",),
    "jobs pause": ("scorolink jobs pause mirror",),
    "jobs resume": ("scorolink jobs resume mirror",),
    "jobs remove": ("scorolink jobs remove mirror",),
    "runs": ("scorolink runs", "scorolink runs --job mirror --json"),
    "runs show": ("scorolink runs show 1",),
    "xero": ("scorolink xero connect", "scorolink xero sync --dry-run"),
    "xero connect": ("scorolink xero connect",),
    "xero status": ("scorolink xero status", "scorolink xero status --json"),
    "xero tenants": ("scorolink xero tenants",),
    "xero sync": ("scorolink xero sync --dry-run", "scorolink xero sync --category contacts"),
    "xero errors": ("scorolink xero errors",),
    "xero configure": ("scorolink xero configure", "scorolink xero configure --help"),
    "quickbooks": ("scorolink quickbooks connect", "scorolink quickbooks sync --dry-run"),
    "quickbooks connect": ("scorolink quickbooks connect",),
    "quickbooks configure": ("scorolink quickbooks configure --accounts",
                             "scorolink quickbooks configure --mode automatic --schedule hourly "
                             "--default-income-account 4100 --default-expense-account 6000",
                             "scorolink quickbooks configure --category invoices --enable --direction to-quickbooks"),
    "quickbooks sync": ("scorolink quickbooks sync --dry-run", "scorolink quickbooks sync --category contacts",
                        "scorolink quickbooks sync --background", "scorolink quickbooks sync --object invoices:42"),
    "quickbooks status": ("scorolink quickbooks status", "scorolink quickbooks status --json"),
    "quickbooks errors": ("scorolink quickbooks errors", "scorolink quickbooks errors --dismiss 3"),
    "sandbox": ("scorolink sandbox scoro --port 8765", "scorolink sandbox reset"),
    "sandbox scoro": ("scorolink sandbox scoro --port 8765",
                      "scorolink sandbox scoro --port 0 --data scoro-sandbox.db --show-users"),
    "sandbox xero": ("scorolink sandbox xero --port 8766", "scorolink sandbox xero --port 0 --rate-limit off"),
    "sandbox reset": ("scorolink sandbox reset",),
    "sandbox quickbooks": ("scorolink sandbox quickbooks --port 0",
                           "scorolink sandbox quickbooks --realms 3 --fault-rate 0.1 --data qbo.db"),
}


def epilog(path: str) -> str | None:
    """The examples of the command at `path` as a help epilog that keeps its lines (Click's \\b)."""
    lines = EXAMPLES.get(path)
    if not lines:
        return None
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
