"""The ``wa-crm`` command line, as an operator's script would use it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from wa_crm.container import build_container, close_resources
from wa_crm.entrypoints.cli import load_settings, main


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("WA_CRM_DATABASE_URL", url)
    monkeypatch.setenv("WA_CRM_SECRET_KEY", "a-test-secret-key-of-some-length")
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def set_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    code, out, err = run(
        capsys,
        *("association", "create", "amigos", "--name", "Amigos da Saúde"),
        *("--waha-url", "http://127.0.0.1:3000", "--waha-api-key", "key"),
        *("--session", "amigos", "--webhook-secret", "s3cret"),
    )
    assert (code, err) == (0, "")
    assert len(out.strip()) == 36  # the new association's id


def test_an_unmigrated_database_is_refused_with_the_fix(database, capsys) -> None:
    code, out, err = run(capsys, "agent", "token", "amigos", "a@b.org")
    assert code == 1 and out == ""
    assert "not migrated" in err and "wa-crm db upgrade" in err


def test_setting_an_association_up(database, capsys) -> None:
    set_up(capsys)
    code, agent_id, _ = run(
        capsys,
        "agent",
        "create",
        "amigos",
        "Ana@Example.org",
        "--name",
        "Ana",
        "--role",
        "admin",
        "--password",
        "correct horse",
    )
    assert code == 0 and len(agent_id.strip()) == 36
    code, token, err = run(capsys, "agent", "token", "amigos", "ana@example.org")
    assert code == 0 and err == ""
    assert token.startswith("wac_") and token.count("\n") == 1
    assert run(capsys, "agent", "token", "amigos", "ana@example.org")[1] != token


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("association", "create", "Bad Slug", "--name", "x"), "slug 'Bad Slug'"),
        (("association", "create", "amigos", "--name", "Again"), "already exists"),
        (("agent", "create", "nobody", "a@b.org", "--password", "12345678"), "'nobody'"),
        (("agent", "create", "amigos", "not-an-email", "--password", "12345678"), "not-an-email"),
        (("agent", "create", "amigos", "a@b.org", "--password", "short"), "at least 8"),
        (("agent", "token", "amigos", "ghost@b.org"), "ghost@b.org"),
        (("patients", "import", "amigos", "/no/such/file.csv"), "/no/such/file.csv"),
    ],
)
def test_bad_input_names_the_bad_value_and_exits_non_zero(database, capsys, argv, message) -> None:
    set_up(capsys)
    code, out, err = run(capsys, *argv)
    assert code != 0 and out == ""
    assert message in err


def test_bad_settings_name_the_variable(monkeypatch, capsys) -> None:
    monkeypatch.setenv("WA_CRM_DATABASE_URL", "mysql://db/x")
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 2 and "WA_CRM_DATABASE_URL" in err and "sqlite+aiosqlite://" in err


def test_patient_import_keeps_good_rows_and_reports_bad_ones(database, capsys, tmp_path) -> None:
    set_up(capsys)
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text(
        "id,full_name,phone,status,city\n"
        "p1,Maria Silva,+55 11 99999-8888;(81) 98888-7777,active,Recife\n"
        "p2,,+55 11 97777-6666,active,\n"
        "p3,João Souza,not a phone,active,\n"
        "p4,Rita Lima,11 8888-7777,paused,\n"
        "p5,Carlos Dias,5511966665555,inactive,Natal\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "patients", "import", "amigos", str(csv_file))
    assert code == 0
    assert out.strip() == "imported 2 patient(s)"
    assert "line 3: full_name is empty" in err
    assert "line 4: phone:" in err
    assert "line 5: status 'paused'" in err

    orders = tmp_path / "orders.csv"
    orders.write_text(
        "patient_id,order_id,date,items,total,status\n"
        "p1,o1,2026-03-01,Óleo 10ml,199.90,delivered\n"
        "p9,o2,2026-03-02,x,1,new\n"
        "p1,o3,03/04/2026,x,1,new\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "orders", "import", "amigos", str(orders))
    assert out.strip() == "imported 1 order(s)"
    assert "line 3: no patient 'p9'" in err and "line 4: date" in err


def test_a_csv_without_the_required_columns_imports_nothing(database, capsys, tmp_path) -> None:
    set_up(capsys)
    csv_file = tmp_path / "wrong.csv"
    csv_file.write_text("name,telefone\nMaria,11999998888\n", encoding="utf-8")
    code, out, err = run(capsys, "patients", "import", "amigos", str(csv_file))
    assert code == 2 and out == ""
    assert "id" in err and "full_name" in err and "phone" in err


def test_a_bad_database_url_never_shows_its_password(monkeypatch, capsys) -> None:
    monkeypatch.setenv("WA_CRM_DATABASE_URL", "mysql://user:hunter2@db.internal/crm")
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 2 and "hunter2" not in err and "db.internal/crm" in err


def _agent_with_password(capsys: pytest.CaptureFixture[str]) -> None:
    set_up(capsys)
    argv = ("agent", "create", "amigos", "ana@example.org", "--password", "correct horse")
    assert run(capsys, *argv)[0] == 0


def _token_can_log_in(token: str) -> bool:
    """Whether the service would take the token, asked as the service asks."""

    async def ask() -> bool:
        container = build_container(load_settings())
        try:
            return await container.authenticate().with_token(token) is not None
        finally:
            await close_resources(container)

    return asyncio.run(ask())


def test_tokens_are_named_listed_and_revoked_one_or_all(database, capsys) -> None:
    _agent_with_password(capsys)
    argv = ("agent", "token", "amigos", "ana@example.org")
    code, ci_token, err = run(capsys, *argv, "--name", "ci", "--expires-in-days", "30")
    assert code == 0 and err == "" and ci_token.startswith("wac_") and ci_token.count("\n") == 1
    _, other_token, _ = run(capsys, *argv)

    code, listing, _ = run(capsys, "agent", "tokens", "amigos", "ana@example.org")
    header, *rows = listing.strip().split("\n")
    assert code == 0 and header.split("\t") == ["id", "name", "created", "expires", "last used"]
    by_name = {row.split("\t")[1]: row.split("\t") for row in rows}
    assert set(by_name) == {"ci", "-"}
    assert by_name["-"][3] == "never" and by_name["ci"][3].startswith("20")
    assert ci_token.strip() not in listing and other_token.strip() not in listing

    revoke = ("agent", "revoke", "amigos", "ana@example.org")
    code, out, _ = run(capsys, *revoke, "--token", by_name["ci"][0])
    assert (code, out.strip()) == (0, "revoked 1 token(s)")
    assert not _token_can_log_in(ci_token.strip())
    assert _token_can_log_in(other_token.strip())
    code, _, err = run(capsys, *revoke, "--token", by_name["ci"][0])
    assert code == 1 and by_name["ci"][0] in err
    assert run(capsys, *revoke)[1].strip() == "revoked 1 token(s)"
    assert not _token_can_log_in(other_token.strip())


def test_a_disabled_agent_s_tokens_stop_working_until_enabled(database, capsys) -> None:
    _agent_with_password(capsys)
    _, token, _ = run(capsys, "agent", "token", "amigos", "ana@example.org")
    code, out, _ = run(capsys, "agent", "disable", "amigos", "ana@example.org")
    assert code == 0 and "disabled ana@example.org" in out
    assert not _token_can_log_in(token.strip())
    assert run(capsys, "agent", "enable", "amigos", "ana@example.org")[0] == 0
    assert _token_can_log_in(token.strip())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("agent", "tokens", "amigos", "ghost@b.org"), "ghost@b.org"),
        (("agent", "revoke", "nobody", "a@b.org"), "'nobody'"),
        (("agent", "disable", "amigos", "ghost@b.org"), "ghost@b.org"),
        (("agent", "token", "amigos", "ana@example.org", "--expires-in-days", "0"), "1 to 3650"),
    ],
)
def test_credential_commands_name_what_is_wrong(database, capsys, argv, message) -> None:
    _agent_with_password(capsys)
    code, out, err = run(capsys, *argv)
    assert code != 0 and out == "" and message in err
