"""The trigger form in a real browser (Debian's Chromium, driven by Playwright) against
Airflow's real services: a user logs in, reads the form, is refused for invalid input before
anything runs, triggers a dry run and then a real run, and watches each succeed in the UI.

Screenshots are written to $AVRO_INGEST_ARTIFACTS (default .artifacts/) as test artefacts."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from avro_ingest.hooks.hive import AvroIngestHiveHook
from avro_ingest.settings import SETTINGS

from stack.airflow_services import PASSWORD, REQUEST_TIMEOUT, USER, RestClient

from .conftest import Area
from .invariants import check_exactly_once, deliver, files_under
from .services import URL

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("AVRO_INGEST_ARTIFACTS", ROOT / ".artifacts")) / "browser"
CHROMIUM = os.environ.get("AVRO_INGEST_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, airflow: RestClient) -> Iterator[Any]:
    """A page logged in to the UI, as a user does."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{URL}/")
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{URL}/")
    try:
        yield page
    finally:
        context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_form(page: Any) -> Any:
    page.goto(f"{URL}/dags/avro_ingest")
    page.get_by_role("button", name="Trigger").first.click()
    return page.get_by_role("dialog")


def open_section(form: Any, title: str) -> None:
    """Open one section of the form (opening one closes the others)."""
    button = form.get_by_role("button", name=title)
    if button.get_attribute("aria-expanded") != "true":
        button.click()


def fill(page: Any, name: str, value: str) -> None:
    number = page.locator(f'[id="number-input:element_{name}"] input')
    field = number if number.count() else page.locator(f"#element_{name}")
    field.fill(value)


def switch_on(page: Any, name: str) -> None:
    switch = page.locator(f'[id="switch:element_{name}"]')
    if switch.get_attribute("data-state") != "checked":
        page.locator(f'[id="switch:element_{name}:control"]').click()
    assert switch.get_attribute("data-state") == "checked"


def fill_form(page: Any, form: Any, values: dict[str, Any]) -> None:
    sections = {s.name: s.section for s in SETTINGS}
    for name, value in values.items():
        open_section(form, sections[name])
        if isinstance(value, bool):
            if value:
                switch_on(page, name)
        else:
            fill(page, name, str(value))


def trigger_and_watch(page: Any, form: Any, name: str, timeout: float = 600) -> str:
    """Trigger from the form; the UI opens the new run, where the user watches its state."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    form.get_by_role("button", name="Trigger").click()
    # The trigger is one POST: wait for its answer as long as the REST client does.
    try:
        page.wait_for_url(
            re.compile(r".*/dags/avro_ingest/runs/.+"), timeout=REQUEST_TIMEOUT * 1000
        )
    except PlaywrightTimeout as error:  # say what the user saw instead
        shot(page, f"{name}-no-run")
        raise AssertionError(
            f"no run page {REQUEST_TIMEOUT} s after Trigger ({ARTIFACTS}/{name}-no-run.png); "
            f"the page said: {page.locator('body').inner_text()[:1500]}"
        ) from error
    run_id = page.url.rsplit("/runs/", 1)[1]
    from urllib.parse import unquote

    run_id = unquote(run_id)
    deadline = time.monotonic() + timeout
    header = re.compile(re.escape(run_id) + r"\s*(Success|Failed)\b")
    while True:
        found = header.search(page.locator("body").inner_text())
        if found:
            shot(page, name)
            return found[1]
        assert time.monotonic() < deadline, f"{run_id} did not end in the UI"
        time.sleep(3)
        page.reload()


@pytest.fixture
def area(test_area: Area) -> dict[str, Any]:
    return test_area.params()


def test_the_form_names_explains_and_groups_every_setting(page: Any) -> None:
    form = open_form(page)
    for section in dict.fromkeys(s.section for s in SETTINGS):
        open_section(form, section)
        text = form.inner_text()
        for setting in (s for s in SETTINGS if s.section == section):
            assert setting.title in text, setting.name
            assert setting.description in text, setting.name
        shot(page, f"form-{section.lower().replace(' ', '-')}")
    # Table names are a choice, shown in words.
    open_section(form, "What to load")
    page.locator("#element_table_name_rule").click()
    assert page.get_by_role("option").all_inner_texts() == [
        "From the Avro record's name",
        "From the landing sub-folder",
        "One table, named below",
    ]
    page.keyboard.press("Escape")
    # Only what has no sensible default is marked required.
    required = {
        s.name
        for s in SETTINGS
        if page.locator(f"#element_{s.name}[required], [id$='element_{s.name}'] [required]").count()
    }
    assert required <= {"landing_path", "table_name_rule", "database", "target_root"}
    assert "dry_run" not in required and "max_batch_gib" not in required


@pytest.mark.parametrize(
    ("field", "value"),
    [("quiet_period_seconds", "-5"), ("landing_path", "relative/landing")],
)
def test_invalid_input_is_refused_with_a_message_before_anything_runs(
    page: Any, airflow: RestClient, field: str, value: str
) -> None:
    runs_before = airflow.manual_runs()
    form = open_form(page)
    fill_form(page, form, {field: value})
    form.get_by_role("button", name="Trigger").click()
    message = form.get_by_text(f"Invalid input for param {field}")
    message.wait_for()
    shot(page, f"refused-{field}")
    assert value in form.inner_text()  # the value stays as typed, not silently changed
    assert airflow.manual_runs() == runs_before


def test_a_dry_run_then_a_real_run_from_the_form(
    page: Any, airflow: RestClient, area: dict[str, Any]
) -> None:
    landed = deliver(area["landing_path"], 4)
    before = sorted(files_under(area["landing_path"]))

    form = open_form(page)
    fill_form(page, form, area | {"dry_run": True})
    clicked = time.time()  # the form proposed its logical date before this
    assert trigger_and_watch(page, form, "dry-run") == "Success"
    assert sorted(files_under(area["landing_path"])) == before
    databases = {r[0] for r in AvroIngestHiveHook().query("SHOW DATABASES")}
    assert area["database"] not in databases

    # The form proposes the minute it opens in as the logical date, and Airflow refuses a
    # second run with the same one (409 Conflict): as a user would, trigger in a later minute.
    if time.time() // 60 == clicked // 60:
        time.sleep(60.5 - time.time() % 60)
    form = open_form(page)
    fill_form(page, form, area)
    assert trigger_and_watch(page, form, "real-run") == "Success"
    check_exactly_once(area["landing_path"], area["database"], landed)
