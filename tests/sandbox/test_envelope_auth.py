from sandbox_http import Client, login

from scorolink.sandbox.scoro import ScoroSandbox


def test_ok_envelope_shape(shared: ScoroSandbox) -> None:
    status, env = Client(shared)("projects/list", per_page=1)
    assert status == 200
    assert env["status"] == "OK" and env["statusCode"] == 200 and env["messages"] is None
    assert isinstance(env["data"], list)


def test_string_status_code_where_official_examples_use_strings(shared: ScoroSandbox) -> None:
    c = Client(shared)
    assert c("users/list")[1]["statusCode"] == "200"
    task = c.data("tasks/list", per_page=1)[0]
    assert c("comments/list", request={"module": "tasks", "object_id": task["event_id"]})[1]["statusCode"] == "200"
    assert c("projects/view/1")[1]["statusCode"] == 200


def test_unknown_module_and_action_are_404(shared: ScoroSandbox) -> None:
    c = Client(shared)
    for path in ("nosuchmodule/list", "contacts/frobnicate", "users/delete/1"):
        status, env = c(path)
        assert status == 404 and env["status"] == "ERROR" and env["statusCode"] == 404
        assert env["messages"]["error"]


def test_read_only_module_refuses_modify(shared: ScoroSandbox) -> None:
    status, env = Client(shared)("users/modify/1", request={"firstname": "X"})
    assert env["status"] == "ERROR" and "read-only" in env["messages"]["error"][0]


def test_bare_module_path_lists(shared: ScoroSandbox) -> None:
    c = Client(shared)
    assert c.data("contacts", per_page=3) == c.data("contacts/list", per_page=3)


def test_auth_errors(shared: ScoroSandbox) -> None:
    c = Client(shared)
    status, env = c("contacts/list", auth=False, company_account_id="demo")
    assert status == 401 and env["statusCode"] == 401
    status, env = c("contacts/list", auth=False, apiKey="ScoroAPI_wrong", company_account_id="demo")
    assert status == 401 and env["messages"]["error"]
    status, env = c("contacts/list", auth=False, apiKey=c.info["api_key"], company_account_id="someone_else")
    assert status == 403 and env["statusCode"] == 403
    status, env = c("contacts/list", auth=False, apiKey=c.info["api_key"])
    assert status == 403


def test_second_company_account_works(shared: ScoroSandbox) -> None:
    c = Client(shared, account=shared.default["company_account_ids"][1])
    assert c.data("contacts/list", per_page=1)


def test_unknown_id_is_404(shared: ScoroSandbox) -> None:
    status, env = Client(shared)("contacts/view/999999")
    assert status == 404 and env["status"] == "ERROR" and env["statusCode"] == 404


def test_non_post_and_bad_json(shared: ScoroSandbox) -> None:
    c = Client(shared)
    assert c.raw("/api/v2/contacts/list", method="GET").status_code == 405
    r = c.raw("/api/v2/contacts/list", body=["not", "an", "object"])
    assert r.json()["status"] == "ERROR"


def test_user_auth_returns_token_and_settings(shared: ScoroSandbox) -> None:
    admin = next(u for u in shared.default["users"] if u["category"] == "admin")
    token = login(shared, admin)
    c = Client(shared)
    status, env = c("userAuth/modify", auth=False, company_account_id="demo", username=admin["username"],
                    password=admin["password"], device_type="server", device_name="t", device_id="x", request={})
    settings = env["data"]["settings"]
    assert settings["user_id"] == admin["user_id"] and settings["timezone"] == "Europe/Tallinn"
    assert {a["account_id"] for a in settings["company_accounts"]} == set(shared.default["company_account_ids"])
    # the token acts as that user: rows carry permissions, user-only names are filled
    tc = Client(shared, token=token)
    task = tc.data("tasks/list", per_page=1)[0]
    assert task["permissions"] == {"view": 1, "modify": 1, "delete": 1}
    assert Client(shared).data("tasks/list", per_page=1)[0]["permissions"] is None
    project = tc.data("projects/view/1")
    assert project["company_name"]
    assert Client(shared).data("projects/view/1")["company_name"] is None


def test_bad_login_and_bad_token(shared: ScoroSandbox) -> None:
    c = Client(shared)
    status, env = c("userAuth/modify", auth=False, company_account_id="demo", username="nobody", password="x")
    assert status == 401 and env["status"] == "ERROR"
    status, env = Client(shared, token="not-a-token")("contacts/list")
    assert status == 401


def test_plain_user_may_not_delete(sb: ScoroSandbox) -> None:
    user = next(u for u in sb.default["users"] if u["category"] == "user")
    tc = Client(sb, token=login(sb, user))
    assert tc.data("tasks/list", per_page=1)[0]["permissions"]["delete"] == 0
    status, env = tc("tasks/delete/1")
    assert status == 403 and env["status"] == "ERROR"


def test_company_account_list(shared: ScoroSandbox) -> None:
    accounts = Client(shared).data("companyAccount/list")
    assert [a["id"] for a in accounts] == shared.default["company_account_ids"]
    for a in accounts:
        assert {"company_name", "address", "base_currency", "active_currencies", "vat_no"} <= a.keys()


def test_users_settings(shared: ScoroSandbox) -> None:
    assert Client(shared).data("users/settings/1")["user_id"] == 1
