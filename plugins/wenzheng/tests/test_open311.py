"""Open311 GeoReport v2: the responses validate against the shared schemas, and a third-party client reads them."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from georeport import GeoReport
from jsonschema import Draft7Validator
from litestar.testing import TestClient
from referencing import Registry
from referencing.jsonschema import DRAFT7
from test_story import District

from newsplus import CurrentUser, district_scope
from newsplus.testing import make_app, serving
from newsplus_wenzheng import workflow

SCHEMAS = Path(__file__).resolve().parent / "georeport-v2"
KEYS = {"plugins": {"wenzheng": {"open311_keys": ["key-for-the-city-app"]}}}


def validator(name: str) -> Draft7Validator:
    registry = Registry().with_resources(
        (path.name, DRAFT7.create_resource(json.loads(path.read_text())))
        for path in SCHEMAS.glob("*.json")
        if path.name != "swagger.json"
    )
    return Draft7Validator(json.loads((SCHEMAS / name).read_text()), registry=registry)


def valid(name: str, document: object) -> None:
    errors = sorted(validator(name).iter_errors(document), key=str)
    assert not errors, [e.message for e in errors]


def post(client: TestClient, **fields) -> object:
    body = {
        "api_key": "key-for-the-city-app",
        "service_code": "sanitation",
        "lat": "40.07",
        "long": "116.42",
        "description": "天通苑北一区垃圾堆积，已经一周没有清运。",
        "phone": "13800138000",
        "first_name": "明",
        "last_name": "王",
        "attribute[spot]": "3号楼旁",
        **fields,
    }
    return client.post("/open311/v2/requests.json", data=body)


def test_services_definitions_and_requests_validate_against_the_schemas(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"], settings=KEYS)) as client:
        people = District(client)
        discovery = client.get("/open311/v2/discovery.json").json()
        assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert ET.fromstring(client.get("/open311/v2/discovery.xml").content).tag == "discovery"

        services = client.get("/open311/v2/services.json").json()
        valid("services.json", services)
        assert {"service_code": "sanitation", "service_name": "市容环卫"}.items() <= services[0].items()
        definition = client.get("/open311/v2/services/sanitation.json").json()
        valid("service-definition.json", definition)
        assert definition["attributes"][0]["code"] == "spot"

        created = post(client)
        assert created.status_code == 201, created.text
        [ticket] = created.json()
        number = ticket["service_request_id"]
        # It is a real inquiry in the dispatcher's queue, personal details kept for the staff only.
        token = ticket["token"]
        staff_view = client.get(f"/api/v1/wenzheng/inquiries/{token}", headers=people.dispatcher).json()
        assert staff_view["contact_phone"] == "13800138000" and staff_view["extra"] == {"spot": "3号楼旁"}
        assert client.get(f"/open311/v2/requests/{number}.json").status_code == 404  # not public until taken in
        people.act(people.dispatcher, token, "accept")

        one = client.get(f"/open311/v2/requests/{number}.json").json()
        valid("requests.json", one)
        assert one[0]["status"] == "open" and "13800138000" not in json.dumps(one, ensure_ascii=False)
        many = client.get("/open311/v2/requests.json?service_code=sanitation&status=open").json()
        valid("requests.json", many)
        assert [r["service_request_id"] for r in many] == [number]
        assert client.get("/open311/v2/requests.json?status=closed").json() == []
        assert client.get(f"/open311/v2/tokens/{token}.json").json()[0]["service_request_id"] == number
        xml = ET.fromstring(client.get(f"/open311/v2/requests/{number}.xml").content)
        assert xml.tag == "service_requests" and xml.find("request/service_request_id").text == number


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"api_key": "wrong"}, 403),
        ({"api_key": ""}, 403),
        ({"service_code": ""}, 400),
        ({"lat": "", "long": ""}, 400),
        ({"lat": "north"}, 400),
        ({"service_code": "nope"}, 400),
    ],
)
def test_bad_posts_get_the_specs_error_body(newsplus_app, fields, status) -> None:
    with TestClient(newsplus_app(["wenzheng"], settings=KEYS)) as client:
        answer = post(client, **fields)
        assert answer.status_code == status, answer.text
        [error] = answer.json()
        assert error["code"] == status and error["description"]
        as_xml = client.post("/open311/v2/requests.xml", data={"api_key": "wrong"})
        assert as_xml.status_code == 403
        assert ET.fromstring(as_xml.content).find("error/code").text == "403"


def test_unknown_services_and_requests_are_404_in_the_specs_format(newsplus_app) -> None:
    with TestClient(newsplus_app(["wenzheng"])) as client:
        assert client.get("/open311/v2/services/nope.json").json()[0]["code"] == 404
        assert client.get("/open311/v2/requests/000.xml").status_code == 404
        assert client.get("/open311/v2/services.txt").status_code == 404


async def test_a_third_party_open311_client_reads_services_and_requests(newsplus_database_url) -> None:
    app = make_app(["wenzheng"], database_url=newsplus_database_url, settings=KEYS)
    async with serving(app) as base:
        newsplus = app.state.newsplus
        async with httpx.AsyncClient(base_url=base) as http:
            created = await http.post(
                "/open311/v2/requests.json",
                data={
                    "api_key": "key-for-the-city-app",
                    "service_code": "heating",
                    "address_string": "回龙观东大街",
                    "description": "暖气不热，室温只有十四度。",
                },
            )
        [ticket] = created.json()
        dispatcher = CurrentUser(
            id=1, kind="staff", display_name="派单员", permissions=frozenset({"wenzheng.dispatch"})
        )
        with district_scope(newsplus.districts.primary):
            await workflow.act(newsplus, dispatcher, ticket["token"], "accept")
        for fmt in ("json", "xml"):
            client = GeoReport(root_address=f"{base}/open311/v2", api_key="key-for-the-city-app", output_format=fmt)
            services = await asyncio.to_thread(client.get_service_list)
            assert "sanitation" in [s["service_code"] for s in services]
            definition = await asyncio.to_thread(client.get_service_definition, "sanitation")
            assert definition["service_code"] == "sanitation"
            found = await asyncio.to_thread(client.get_service_requests)
            found = found if isinstance(found, list) else [found]  # the XML reader gives one request as a dict
            assert [r["service_request_id"] for r in found] == [ticket["service_request_id"]]
            one = await asyncio.to_thread(client.get_service_request, ticket["service_request_id"])
            one = one[0] if isinstance(one, list) else one
            assert (one["service_code"], one["status"]) == ("heating", "open")
