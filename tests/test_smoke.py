def test_staff_outline_lists_the_demo_cluster_units(staff):
    response = staff.get("/api/staff/community/outline")
    assert response.status_code == 200
    units = response.json()["communities"]["oss_community"]["clusters"]["oss_cluster"]["units"]
    assert list(units) == ["E001", "E002", "E003", "E004"]
