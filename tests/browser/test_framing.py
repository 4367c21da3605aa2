"""``X-Frame-Options: DENY`` breaks none of our pages: none frames another (Swagger UI at ``/api/docs/``
included), and a page of ours cannot be framed, not even by another page of ours."""

from playwright.sync_api import Browser, expect


def test_swagger_ui_works_unframed_and_a_page_of_ours_cannot_be_framed(browser: Browser, site: str):
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{site}/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert page.frames == [page.main_frame]

    page.goto(f"{site}/api/core/session")  # a same-origin page of ours tries to frame the admin login
    page.evaluate(
        "url => new Promise(done => { const frame = document.createElement('iframe');"
        " frame.onload = done; frame.src = url; document.body.append(frame); })",
        f"{site}/admin/login/",
    )
    (framed,) = [frame for frame in page.frames if frame != page.main_frame]
    assert framed.locator("#id_username").count() == 0  # Chromium shows its error page instead
    context.close()
