def test_home_page_lists_hospitals(client, make):
    make.hospital(name="Thames Riverside Hospital")
    res = client.get("/")
    assert res.status_code == 200
    assert b"Thames Riverside Hospital" in res.data


def test_favicon_is_served_and_linked(client, make):
    """Browsers request /favicon.ico on every page by themselves; a 404 there is a console error (issue #13, 8)."""
    res = client.get("/favicon.ico")
    assert res.status_code == 200
    assert res.mimetype == "image/vnd.microsoft.icon"
    assert res.data[:4] == b"\x00\x00\x01\x00"  # an ICO header, not a page
    res.close()
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    svg.close()
    make.hospital(name="Thames Riverside Hospital")
    page = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in page and 'href="/favicon.ico"' in page
