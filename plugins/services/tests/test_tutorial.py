"""The tutorial's test (docs/tutorial.md shows this file): a county's module takes applications."""

from farm_services import plugin as farm
from litestar.testing import TestClient

from newsplus.testing import bearer, call, login_resident, login_staff
from newsplus.users.accounts import create_department


def test_the_county_module_takes_applications(newsplus_app) -> None:
    with TestClient(newsplus_app(["services", farm])) as client:
        bureau = call(client, create_department, "县农业农村局", "bureau")
        handler = bearer(login_staff(client, "farm", roles=("service_handler",), department=bureau))
        resident = bearer(login_resident(client))
        answers = {"owner": "张三", "id_number": "11010519491231002X", "machine": "拖拉机", "price": "128000"}
        made = client.post(
            "/api/v1/services/modules/farm-machinery/applications", json={"answers": answers}, headers=resident
        )
        assert made.status_code == 201
        queue = client.get("/api/v1/services/queue", headers=handler).json()["items"]
        assert [a["number"] for a in queue] == [made.json()["number"]]
