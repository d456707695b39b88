def test_home_page_lists_hospitals(client, make):
    make.hospital(name="Thames Riverside Hospital")
    res = client.get("/")
    assert res.status_code == 200
    assert b"Thames Riverside Hospital" in res.data
