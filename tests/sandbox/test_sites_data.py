import ast
from pathlib import Path

from sandbox_http import Client, login

from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox

SANDBOX_SRC = Path(__file__).resolve().parents[2] / "src" / "scorolink" / "sandbox"


def test_sites_are_isolated(sb: ScoroSandbox) -> None:
    first, second = Client(sb, 0), Client(sb, 1)
    assert sb.sites[1]["base_path"] == f"/sites/{sb.sites[1]['site']}/api/v2"
    assert sb.sites[0]["api_key"] != sb.sites[1]["api_key"]
    created = first.data("contacts/modify", request={"name": "Only on site zero"})
    assert not second.data("contacts/list", filter={"name": "Only on site zero"})
    assert second.data("contacts/list", per_page=1)
    # the default site also answers under /sites/<name>/api/v2
    r = first.raw(f"/sites/{sb.sites[0]['site']}/api/v2/contacts/view/{created['contact_id']}", first.auth)
    assert r.json()["data"]["name"] == "Only on site zero"
    # another site's key, account or token is refused
    r = first.raw(sb.sites[1]["base_path"] + "/contacts/list", first.auth)
    assert r.status_code == 401
    wrong_account = {"apiKey": sb.sites[1]["api_key"], "company_account_id": sb.sites[0]["company_account_ids"][0]}
    assert first.raw(sb.sites[1]["base_path"] + "/contacts/list", wrong_account).status_code == 403
    token = login(sb, sb.sites[0]["users"][0])
    r = first.raw(sb.sites[1]["base_path"] + "/contacts/list",
                  {"user_token": token, "company_account_id": sb.sites[1]["company_account_ids"][0]})
    assert r.status_code == 401
    assert first.raw("/sites/nosuchsite/api/v2/contacts/list", first.auth).status_code == 404


def test_site_description(sb: ScoroSandbox) -> None:
    assert sb.default is not None and sb.default == sb.sites[0]
    for site in sb.sites:
        assert {"site", "base_path", "api_key", "company_account_ids", "users", "timezone"} <= site.keys()
        assert site["users"] and {"user_id", "username", "password"} <= site["users"][0].keys()


def _snapshot(sb: ScoroSandbox) -> dict:
    c = Client(sb)
    return {m: c.data(f"{m}/list", per_page=100, include_deleted=1) for m in ("contacts", "invoices", "tasks", "users")}


def test_same_seed_same_data() -> None:
    a = _snapshot(ScoroSandbox(SandboxConfig(seed=11, size=300)))
    b = _snapshot(ScoroSandbox(SandboxConfig(seed=11, size=300)))
    assert a == b
    assert a != _snapshot(ScoroSandbox(SandboxConfig(seed=12, size=300)))


def test_data_file_keeps_state(tmp_path: Path) -> None:
    path = str(tmp_path / "scoro.sqlite")
    sb = ScoroSandbox(SandboxConfig(seed=4, size=200, data=path))
    created = Client(sb).data("contacts/modify", request={"name": "Persisted"})
    sb.close()
    again = ScoroSandbox(SandboxConfig(seed=4, size=200, data=path))
    row = Client(again).data(f"contacts/view/{created['contact_id']}")
    assert row["name"] == "Persisted"
    assert row["modified_date"] <= again.default_site.tf.iso(again.clock.now())
    assert Client(again).data("contacts/modify", request={"name": "Next"})["contact_id"] > created["contact_id"]
    again.close()


def test_size_scales_the_data() -> None:
    small = ScoroSandbox(SandboxConfig(seed=1, size=300, sites=1))
    big = ScoroSandbox(SandboxConfig(seed=1, size=5000, sites=1))
    assert big.store.count("demo", "timeEntries") > 5 * small.store.count("demo", "timeEntries")
    total = sum(big.store.count("demo", m, include_deleted=True) for m in
                {row[0] for row in big.store.db.execute("SELECT DISTINCT module FROM rows")})
    assert 4000 < total < 6500


def test_relations_are_consistent(shared: ScoroSandbox) -> None:
    c = Client(shared)
    contacts = {r["contact_id"]: r for r in c.all("contacts", include_deleted=1)}
    for inv in c.all("invoices"):
        company = contacts[inv["company_id"]]
        assert company["contact_type"] == "company" and inv["company_name"] == company["name"]
    receipts = c.all("receipts")
    invoices = {i["id"]: i for i in c.all("invoices", include_deleted=1)}
    for rec in receipts:
        for line in rec["receipts"]:
            assert invoices[line["invoice_id"]]["company_id"] == line["contact_id"]
    users = {u["id"] for u in c.all("users", filter={"category": ["user", "admin", "cupo"]})}
    assert all(t["user_id"] in users for t in c.all("timeEntries"))
    events = {t["event_id"] for t in c.all("tasks", include_deleted=1, include_subtasks=1)} | \
             {e["event_id"] for e in c.all("calendar", include_deleted=1)}
    assert all(t["event_id"] in events for t in c.all("timeEntries"))


def test_sandbox_imports_nothing_else_from_scorolink() -> None:
    for path in SANDBOX_SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                assert not node.module.startswith("scorolink") or node.module.startswith("scorolink.sandbox"), path
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("scorolink") or alias.name.startswith("scorolink.sandbox"), path


def test_set_count_works_for_every_stored_module() -> None:
    from scorolink.sandbox.scoro.modules import MODULES, VIRTUAL

    sb = ScoroSandbox(SandboxConfig(seed=6, size=150, sites=1))
    c = Client(sb)
    for module in sorted(set(MODULES) - VIRTUAL - {"comments", "relations"}):
        sb.set_count(site="demo", module=module, n=2)
        extra = {"filter": {"category": ["user", "admin", "cupo"]}} if module == "users" else {}
        assert len(c.data(f"{module}/list", **extra)) == 2, module


def test_concurrent_writes_get_distinct_ids() -> None:
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    sb = ScoroSandbox(SandboxConfig(seed=1, size=100, sites=1))
    body = {"apiKey": sb.default["api_key"], "company_account_id": "demo"}
    with sb.run_in_thread() as base, httpx.Client(timeout=10) as http:
        def create(n: int) -> int:
            r = http.post(f"{base}/contacts/modify", json={**body, "request": {"name": f"Parallel {n}"}})
            return r.json()["data"]["contact_id"]

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(create, range(40)))
    assert len(set(ids)) == 40
