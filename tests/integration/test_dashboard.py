"""test_dashboard.py: the web dashboard (www/ at /dashboard/), in a real
browser.

Headless Chromium driven by Selenium (Debian chromium, chromium-driver,
python3-selenium) against the test stack, through lighttpd and Apache:
sign up, sign in, create a key (shown once, works, never again on the
page or in storage), roll, revoke, the history with bodies and filters,
the test/live switch, an HTML-named key shown as text, sign out (the
cookie dies), and a cross-site POST with the cookie refused.  No console
errors.  Screenshots of the keys page (show-once panel) and the history
(detail panel) go to the build directory, or to LK_SCREENSHOT_DIR
(`LK_SCREENSHOT_DIR=$PWD/docs/img script/test` refreshes the README's).

Waits poll the page with a deadline (WebDriverWait); nothing sleeps.
Every browser a test starts is quit by that test, also on failure.
"""
import os
import pathlib
import re
import secrets
import shutil
import tempfile

import pytest

from helpers import SERVERS, Client, eventually, query, unique_email

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException, StaleElementReferenceException)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
IMG = pathlib.Path(os.environ.get("LK_SCREENSHOT_DIR") or os.path.join(
    os.environ.get("LK_BUILD_DIR") or tempfile.gettempdir(), "screenshots"))
WAIT = 20

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def test_the_dashboard_is_served_with_its_security_headers(client):
    for path in ("/dashboard/", "/dashboard/js/main.js",
                 "/dashboard/app.css"):
        r = client.get(path, content_type=None)
        assert r.status == 200, (path, r.status)
        for k, v in SECURITY_HEADERS.items():
            assert r.header(k) == v, (path, k, r.header(k))
        csp = r.header("Content-Security-Policy")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.header("X-Request-Id") is None   # not latchkeyd's
    assert "javascript" in client.get("/dashboard/js/api.js").header(
        "Content-Type")
    r = client.get("/dashboard")
    assert r.status == 301 and r.header("Location").endswith("/dashboard/")
    r = client.get("/dashboard/nope.js")
    assert r.status == 404


def test_the_dashboard_has_no_inline_script_or_style():
    www = pathlib.Path(__file__).resolve().parents[2] / "www"
    for f in www.rglob("*"):
        if f.suffix not in (".html", ".js"):
            continue
        text = f.read_text()
        assert "innerHTML" not in text and "outerHTML" not in text, f
        assert "insertAdjacentHTML" not in text, f
        if f.suffix == ".html":
            assert "style=" not in text and "<style" not in text, f
            assert "<script>" not in text and " on" + "click=" not in text


@pytest.fixture
def browser():
    if not (os.path.exists(CHROMEDRIVER) and os.path.exists(CHROMIUM)):
        pytest.skip("chromium and chromium-driver are not installed")
    profile = tempfile.mkdtemp(prefix="lk-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--window-size=1280,900",
              "--user-data-dir=" + profile):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.chrome.service.Service(executable_path=CHROMEDRIVER)
    driver = None
    try:
        driver = webdriver.Chrome(service=service, options=opts)
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait(driver, cond, seconds=WAIT):
    # The tables are rebuilt after every change: an element found a
    # moment ago may be gone; look again.
    return WebDriverWait(driver, seconds, poll_frequency=0.05,
                         ignored_exceptions=(
                             StaleElementReferenceException,
                             NoSuchElementException)).until(cond)


def visible(driver, css):
    return wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR,
                                                          css)))


def fill(driver, css, text):
    el = visible(driver, css)
    el.clear()
    el.send_keys(text)
    return el


def click(driver, css):
    el = wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
    el.click()
    return el


def key_row(driver, name):
    """The keys-table row of the key named name, once it is listed."""
    def find(d):
        for tr in d.find_elements(By.CSS_SELECTOR, "tr[data-key-id]"):
            if tr.find_element(By.CSS_SELECTOR, ".key-name").text == name:
                return tr
        return False
    return wait(driver, find)


def key_names(driver):
    wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR,
                                               ".state.loading"))
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR,
                                                 "tr[data-key-id] .key-name")]


def storage(driver):
    return driver.execute_script(
        "const o = {};"
        "for (const s of [localStorage, sessionStorage])"
        "  for (let i = 0; i < s.length; i++)"
        "    o[s.key(i)] = s.getItem(s.key(i));"
        "return JSON.stringify(o) + ' ' + document.cookie;")


def create_key(driver, name, perms, expiry=None):
    click(driver, "#key-create")
    fill(driver, "#key-name", name)
    for p in perms:
        box = driver.find_element(
            By.CSS_SELECTOR, "#key-create-form input[value='%s']" % p)
        if not box.is_selected():
            box.click()
    if expiry:
        Select(driver.find_element(By.ID, "key-expiry")).select_by_value(
            expiry)
    click(driver, "#key-create-submit")
    return visible(driver, "#once-secret").text


def confirm(driver):
    click(driver, "dialog[open] button.danger")


def go(driver, base, page):
    driver.get(base + "/dashboard/#/" + page)


def severe_console_entries(driver, expected=()):
    """Console errors.  Chromium also logs an API answer of 4xx as a
    network error; those a test provokes on purpose (expected: fragments
    of their URLs) are left out, every other entry counts."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"
            and not (e.get("source") == "network" and
                     any(x in e["message"] for x in expected))]


def server_and_api(server):
    """The base URL of the web server named server, and an API client of
    it; skips when the stack runs no such server."""
    bases = dict(SERVERS)
    if server not in bases:
        pytest.skip("no web server: run through script/test")
    return bases[server], Client(server, bases[server])


def sign_in_browser(d, base, s, keyboard=False):
    """Signs the browser in as the owner of org s (from signup), with a
    click or, with keyboard, Enter in the password field."""
    go(d, base, "signin")
    fill(d, "#signin-email", s["user"]["email"])
    if keyboard:
        fill(d, "#signin-password", s["password"] + Keys.ENTER)
    else:
        fill(d, "#signin-password", s["password"])
        click(d, "#signin-submit")
    visible(d, "#overview-cards .card")


@pytest.mark.parametrize("server", [s[0] for s in SERVERS] or ["none"])
def test_the_dashboard_flow_in_a_real_browser(server, browser, db):
    base, api = server_and_api(server)
    d = browser
    email = unique_email("dash")
    password = "correct horse " + secrets.token_hex(2)

    # Sign up: an org, its owner, and the first test key shown once.
    go(d, base, "signup")
    fill(d, "#signup-org", "Dash " + secrets.token_hex(3))
    fill(d, "#signup-email", email)
    fill(d, "#signup-password", password)
    click(d, "#signup-submit")
    first = visible(d, "#once-secret").text
    assert first.startswith("lk_test_")
    click(d, "#signup-continue")
    visible(d, "#overview-cards .card")

    # Sign out, then sign in through the form.
    click(d, "#sign-out")
    visible(d, "#signin-form")
    fill(d, "#signin-email", email)
    fill(d, "#signin-password", password)
    click(d, "#signin-submit")
    visible(d, "#overview-cards .card")
    assert d.find_element(By.ID, "who-email").text == email

    # A key: its secret shown once, and it works against the API.
    go(d, base, "keys")
    secret = create_key(d, "ci-key", ["keys.read", "keys.write", "users.read"],
                        expiry="2592000")
    assert secret.startswith("lk_live_")
    assert "you will not see this again" in d.find_element(
        By.ID, "show-once").text
    row = key_row(d, "ci-key")
    assert row.get_attribute("data-status") == "active"
    if server == "lighttpd":
        IMG.mkdir(parents=True, exist_ok=True)
        d.save_screenshot(str(IMG / "keys-show-once.png"))
    r = api.get("/v1/me", headers={"X-API-Key": secret})
    assert r.status == 200 and r.json["kind"] == "api_key", r
    key_id = r.json["api_key_id"]
    assert row.get_attribute("data-key-id") == key_id
    # A call with a body, for the history.
    r = api.post("/v1/api-keys", {"name": "made-by-ci", "permissions": []},
                 headers={"X-API-Key": secret})
    assert r.status == 201, r

    # After a reload it is listed, but its secret is nowhere.
    d.refresh()
    key_row(d, "ci-key")
    assert secret not in d.page_source
    assert first not in d.page_source
    st = storage(d)
    assert secret not in st and first not in st
    assert "lk_session" not in st        # HttpOnly: out of script's reach

    # Roll without grace: a new secret, shown once; the old one dies.
    key_row(d, "ci-key").find_element(By.CSS_SELECTOR, "button.roll").click()
    Select(visible(d, "#key-grace")).select_by_value("0")
    click(d, "#key-roll-submit")
    rolled = wait(d, lambda x: (lambda t: t if t and t != secret else False)(
        x.find_element(By.ID, "once-secret").text))
    assert rolled.startswith("lk_live_") and rolled != secret
    assert api.get("/v1/me", headers={"X-API-Key": rolled}).status == 200
    assert api.get("/v1/me", headers={"X-API-Key": secret}).status == 401

    # Revoke, after confirming.
    key_row(d, "ci-key").find_element(By.CSS_SELECTOR,
                                      "button.revoke").click()
    confirm(d)
    wait(d, lambda x: any(
        tr.get_attribute("data-status") == "revoked"
        for tr in x.find_elements(By.CSS_SELECTOR, "tr[data-key-id='%s']"
                                  % key_id)))
    r = api.get("/v1/me", headers={"X-API-Key": rolled})
    assert r.status == 401 and r.code == "revoked_api_key", r

    # The history shows the calls, with their bodies; filters narrow it.
    go(d, base, "requests")
    wait(d, lambda x: len(x.find_elements(By.CSS_SELECTOR,
                                          "tr[data-request-id]")) >= 5)
    every = len(d.find_elements(By.CSS_SELECTOR, "tr[data-request-id]"))
    Select(d.find_element(By.ID, "f-method")).select_by_value("POST")
    fill(d, "#f-path", "/v1/api-keys")
    click(d, "#f-apply")

    def narrowed(x):
        rows = x.find_elements(By.CSS_SELECTOR, "tr[data-request-id]")
        if x.find_elements(By.CSS_SELECTOR, ".state.loading") or not rows:
            return False
        return rows
    rows = wait(d, narrowed)
    paths = [tr.get_attribute("data-path") for tr in rows]
    assert all(p.startswith("/v1/api-keys") for p in paths), paths
    assert all(tr.find_elements(By.XPATH, "td[3]")[0].text == "POST"
               for tr in rows)
    assert len(rows) < every
    made = [tr for tr in rows
            if tr.get_attribute("data-path") == "/v1/api-keys"]
    assert made
    # The key's own POST: its request and response bodies.
    for tr in made:
        tr.find_element(By.CSS_SELECTOR, "button.details").click()
        body = visible(d, "#request-detail .req-body").text
        if "made-by-ci" in body:
            break
    else:
        pytest.fail("the POST made with the key is not in the history")
    resp = d.find_element(By.CSS_SELECTOR, "#request-detail .resp-body").text
    assert '"made-by-ci"' in resp and "[REDACTED]" in resp
    if server == "lighttpd":
        d.set_window_size(1280, 1500)
        d.execute_script("document.getElementById('request-detail')"
                         ".scrollIntoView({block: 'end'})")
        d.save_screenshot(str(IMG / "request-history-detail.png"))
        d.set_window_size(1280, 900)

    # Test mode: a visibly different dashboard that sees test keys only.
    go(d, base, "keys")
    key_row(d, "ci-key")
    click(d, "#mode-switch")
    wait(d, lambda x: "mode-test" in x.find_element(
        By.TAG_NAME, "body").get_attribute("class"))
    assert d.find_element(By.ID, "test-banner").is_displayed()
    key_row(d, "Default test key")
    assert "ci-key" not in key_names(d)
    create_key(d, "test-only", ["keys.read"])
    key_row(d, "test-only")
    click(d, "#mode-switch")
    wait(d, lambda x: "mode-test" not in x.find_element(
        By.TAG_NAME, "body").get_attribute("class"))
    key_row(d, "ci-key")
    names = key_names(d)
    assert "test-only" not in names and "Default test key" not in names
    assert not d.find_element(By.ID, "test-banner").is_displayed()

    # A key named like HTML shows as text, and nothing runs.
    evil = '<img src=x onerror="window.__xss=1">'
    create_key(d, evil, [])
    row = key_row(d, evil)
    assert row.find_element(By.CSS_SELECTOR, ".key-name").text == evil
    assert not d.find_elements(By.CSS_SELECTOR, "main img")
    assert d.execute_script("return window.__xss === undefined")

    # No console errors along the way.
    assert severe_console_entries(d) == []

    # Sign out: the cookie no longer works.
    cookie = d.get_cookie("lk_session")
    assert cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict"
    jar = {"Cookie": "lk_session=" + cookie["value"]}
    assert api.get("/v1/me", headers=jar).status == 200
    click(d, "#sign-out")
    visible(d, "#signin-form")
    assert d.get_cookie("lk_session") is None
    r = api.get("/v1/me", headers=jar)
    assert r.status == 401 and r.code == "invalid_session", r

    # Signed in again, a POST from another origin with the cookie is
    # refused.  The other web server is another origin of the same site
    # (same host, another port), so the browser does send the cookie.
    fill(d, "#signin-email", email)
    fill(d, "#signin-password", password)
    click(d, "#signin-submit")
    visible(d, "#overview-cards .card")
    other = [b for n, b in SERVERS if n != server]
    origin_page = (other[0] if other else base.replace("127.0.0.1",
                                                       "localhost"))
    d.get(origin_page + "/health")
    name = "cross-site-" + secrets.token_hex(3)
    outcome = d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0] + '/v1/api-keys', {method: 'POST',"
        " mode: 'no-cors', credentials: 'include',"
        " headers: {'Content-Type': 'text/plain'},"
        " body: JSON.stringify({name: arguments[1], permissions: []})})"
        ".then(() => done('sent'), (e) => done('blocked: ' + e));",
        base, name)
    assert outcome == "sent"
    # It reached latchkey with the cookie (else 401, not 403) and was
    # refused before anything was created.
    refused = eventually(lambda: query(
        db, "SELECT status, error_code FROM latchkey.request_log WHERE "
        "path = '/v1/api-keys' AND method = 'POST' AND request_body LIKE "
        "%s", "%" + name + "%"), seconds=5)
    assert refused == [(403, "csrf_failed")]
    assert query(db, "SELECT count(*) FROM latchkey.api_keys WHERE name = %s",
                 name) == [(0,)]


def test_make_install_ships_every_dashboard_file():
    root = pathlib.Path(__file__).resolve().parents[2]
    listed = set(re.findall(r"www/[\w./-]+", (root / "Makefile.am")
                            .read_text()))
    shipped = {str(f.relative_to(root)) for f in (root / "www").rglob("*")
               if f.is_file()}
    assert shipped == listed


def settled(driver):
    """Waits until no table or panel of the page is still loading."""
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "main h1") and
         not d.find_elements(By.CSS_SELECTOR, "main .state.loading"))


@pytest.mark.parametrize("server", [s[0] for s in SERVERS] or ["none"])
def test_every_page_works_and_users_are_managed_in_the_browser(
        server, browser, db):
    base, api = server_and_api(server)
    d = browser
    s = api.signup()
    sign_in_browser(d, base, s)

    for page, marker in [("overview", "#overview-chart"),
                         ("activity", "main table"),
                         ("usage", "#usage-out table"),
                         ("permissions", "#routes-note"),
                         ("directs", "#direct-form"),
                         ("users", "tr[data-user-id]")]:
        go(d, base, page)
        visible(d, marker)
        settled(d)
        assert not d.find_elements(By.CSS_SELECTOR, "main .state.error"), \
            page
    # Permissions: the catalog is listed.
    go(d, base, "permissions")
    settled(d)
    assert "keys.write" in d.find_element(By.TAG_NAME, "main").text

    # Users: add a member, make them a viewer, disable, remove.
    go(d, base, "users")
    settled(d)
    click(d, "#user-add")
    email = unique_email("member")
    fill(d, "#user-add-form input[name=email]", email)
    fill(d, "#user-add-form input[name=password]", "another secret")
    click(d, "#user-add-form button[type=submit]")

    def row_of(x):
        for tr in x.find_elements(By.CSS_SELECTOR, "tr[data-user-id]"):
            if email in tr.text:
                return tr
        return False
    Select(wait(d, row_of).find_element(By.CSS_SELECTOR, "select.role")) \
        .select_by_value("viewer")
    role = lambda: query(db, "SELECT role, disabled FROM latchkey.users "
                         "WHERE email = %s", email)
    assert eventually(lambda: role() == [("viewer", False)])
    wait(d, lambda x: row_of(x) and row_of(x).find_element(
        By.CSS_SELECTOR, "select.role").get_attribute("value") == "viewer")
    row_of(d).find_element(By.CSS_SELECTOR, "button.toggle").click()
    assert eventually(lambda: role() == [("viewer", True)])
    wait(d, lambda x: row_of(x) and "disabled" in row_of(x).text)
    row_of(d).find_element(By.CSS_SELECTOR, "button.remove").click()
    confirm(d)
    assert eventually(lambda: role() == [])
    wait(d, lambda x: not row_of(x))

    # Test mode: users are org-wide, so the page offers no changes.
    click(d, "#mode-switch")
    wait(d, lambda x: x.find_elements(By.CSS_SELECTOR, "main .notice.warn"))
    assert not d.find_elements(By.ID, "user-add")
    click(d, "#mode-switch")

    # Directs: a hash shown once.
    go(d, base, "directs")
    settled(d)
    fill(d, "#direct-form input[name=resource_type]", "call")
    fill(d, "#direct-form input[name=resource_id]", "c-42")
    click(d, "#direct-form button[type=submit]")
    assert visible(d, "#once-secret").text.startswith("direct.")
    wait(d, lambda x: "c-42" in x.find_element(By.CSS_SELECTOR,
                                                "main table").text)

    assert severe_console_entries(d) == []


@pytest.mark.parametrize("server", [s[0] for s in SERVERS] or ["none"])
def test_keyboard_narrow_window_live_history_and_an_ended_session(
        server, browser, db):
    base, api = server_and_api(server)
    d = browser
    s = api.signup()
    sign_in_browser(d, base, s, keyboard=True)

    # Keyboard only: the create dialog opens with Enter, takes its
    # fields by Tab, and Escape closes it.
    go(d, base, "keys")
    settled(d)
    create = d.find_element(By.ID, "key-create")
    create.send_keys(Keys.ENTER)
    name = visible(d, "#key-name")
    assert d.switch_to.active_element == name      # focus moved inside
    name.send_keys("by-keyboard")
    name.send_keys(Keys.ESCAPE)
    wait(d, lambda x: not x.find_elements(By.CSS_SELECTOR, "dialog[open]"))
    # Every control of every dialog and page is labelled.
    create.send_keys(Keys.ENTER)
    visible(d, "#key-name")
    unlabelled = d.execute_script(
        "return [...document.querySelectorAll('input, select, textarea')]"
        ".filter(e => !e.labels.length && !e.getAttribute('aria-label'))"
        ".map(e => e.outerHTML)")
    assert unlabelled == []
    d.find_element(By.ID, "key-name").send_keys("by-keyboard" + Keys.ENTER)
    assert visible(d, "#once-secret").text.startswith("lk_live_")

    # A narrow window: nothing but the tables scrolls sideways.
    d.set_window_size(400, 800)
    for page in ("keys", "requests", "users", "overview"):
        go(d, base, page)
        settled(d)
        assert d.execute_script(
            "return document.documentElement.scrollWidth <= "
            "window.innerWidth + 1"), page
    d.set_window_size(1280, 900)

    # Live history: a new call shows up without a reload.
    go(d, base, "requests")
    settled(d)
    click(d, "#live-toggle")
    marker = "/v1/api-keys/" + secrets.token_hex(4)
    assert api.get(marker.replace("/v1/api-keys/", "/v1/api-keys?x="),
                   token=s["token"]).status == 200
    wait(d, lambda x: any(
        "x=" in (tr.text or "") for tr in x.find_elements(
            By.CSS_SELECTOR, "tr[data-request-id]")), seconds=30)

    # The session ended elsewhere: the next poll leads to sign-in, and
    # the notice says why.
    query(db, "DELETE FROM latchkey.sessions WHERE user_id = %s",
          s["user"]["id"])
    visible(d, "#signin-form")
    assert "invalid_session" in d.find_element(By.ID, "notices").text
    assert "sign in again" in d.find_element(By.ID, "notices").text.lower()
    assert severe_console_entries(d, expected=(
        "/v1/requests?since=",)) == []


@pytest.mark.parametrize("server", [s[0] for s in SERVERS] or ["none"])
def test_a_rare_match_deep_in_the_history_is_searched_for_page_by_page(
        server, browser, db):
    """The API examines a bounded window per page (10 000 rows); the
    history page asks for up to five windows, then shows what it found and
    says the search stopped short; Older → searches on."""
    base, api = server_and_api(server)
    d = browser
    s = api.signup()
    org = s["org"]["id"]
    # 60 000 live rows newer than the one match, past five windows.
    query(db, """
        INSERT INTO latchkey.request_log (id, request_id, org_id, mode,
            credential_kind, method, path, status, duration_us, created_at)
        SELECT gen_random_uuid(), 'deep-' || g, %s, 'live', 'none', 'GET',
            CASE WHEN g = 60001 THEN '/v1/needle' ELSE '/v1/hay' END, 200,
            10, now() - interval '1 hour' - g * interval '10 milliseconds'
        FROM generate_series(1, 60001) g""", org)
    try:
        sign_in_browser(d, base, s)
        go(d, base, "requests")
        settled(d)
        fill(d, "#f-path", "/v1/needle")
        click(d, "#f-apply")
        note = visible(d, "#page-note")
        assert "no match yet" in note.text
        assert not d.find_elements(By.CSS_SELECTOR, "tr[data-request-id]")
        click(d, "#page-older")
        rows = wait(d, lambda x: x.find_elements(
            By.CSS_SELECTOR, "tr[data-request-id]"))
        assert [tr.get_attribute("data-path") for tr in rows] == \
            ["/v1/needle"]
        assert not d.find_element(By.ID, "page-note").is_displayed()
        assert d.find_element(By.ID, "page-older").get_attribute(
            "disabled") == "true"
        assert severe_console_entries(d) == []
    finally:
        query(db, "DELETE FROM latchkey.request_log WHERE org_id = %s",
              org)
