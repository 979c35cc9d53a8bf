"""The HTTP prediction service: the exact model version of the checked-out commit, over FastAPI.

A flight's booking-time context (flights scheduled around it, the recent disruption rates of its
carrier, route, origin and destination) is not sent: it is looked up by the flight's date in the
versioned context table of the same commit, which `GET /model` describes (`context`: its version and
the dates it covers). A flight on a date the table lacks gets missing values for those features; its
probability then rests on the other fields, and is less reliable."""

from pathlib import Path
from typing import Annotated

from fastapi import Body, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field, create_model

from flights.delivery.fast_path import scorer_for
from flights.delivery.inputs import FLIGHT_DESCRIPTION, flight_model
from flights.model.context import attach, read_context
from flights.model.train import TRUSTED_TYPES, expected_weather, known_categories
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.io import read_json
from mlkit.serving import (
    TOKEN_VARIABLE,
    add_basic_routes,
    add_request_logging,
    bearer_guard,
    git_revision,
    limit_request_body,
    run_service,
    verified_md5,
    verified_model,
)

# A flight's fields take 270-340 bytes as JSON: this leaves room for indentation and long decimals,
# while a body of many times `serve.max_flights` flights is refused (413) before it is parsed.
MAX_BYTES_PER_FLIGHT = 2_000


def flights_request(max_flights: int, flight: type[BaseModel]) -> type[BaseModel]:
    """The request body: 1 to `max_flights` flights and nothing else. The size is a schema rule, so an
    oversized batch gets one short 422 (and OpenAPI documents the limit) instead of one per flight."""
    return create_model(
        "FlightsRequest",
        __config__=ConfigDict(extra="forbid"),
        flights=(
            list[flight],  # type: ignore[valid-type]
            Field(min_length=1, max_length=max_flights, description="flights in the raw tables' field names"),
        ),
    )


class Prediction(BaseModel):
    probability: float = Field(description="probability of the outcome that GET /model's card describes")
    disrupted: bool = Field(description="probability at or above the threshold chosen on validation data")
    missing_weather: list[str] = Field(
        description="weather fields the model expects (GET /model) that this flight lacks: its probability "
        "is then less reliable"
    )
    unseen_dest: bool = Field(
        description="a destination the model never saw in training (GET /model lists those it knows): a new "
        "route or a typo; the model then knows nothing of where the flight goes"
    )


class PredictResponse(BaseModel):
    model_version: str
    threshold: float
    predictions: list[Prediction]


class Refusal(BaseModel):
    detail: str


REFUSALS: dict[int | str, dict] = {
    400: {"model": Refusal, "description": "the body is not JSON"},
    413: {"model": Refusal, "description": "the body is over the byte limit of its number of flights"},
}
UNAUTHORIZED: dict[int | str, dict] = {
    401: {"model": Refusal, "description": f"no bearer token, or not the one in ${TOKEN_VARIABLE}"}
}

EXAMPLE = {
    "flights": [
        {"carrier": "UA", "flight": 1545, "origin": "EWR", "dest": "IAH", "year": 2013, "month": 12,
         "day": 20, "sched_dep_time": 1715, "sched_arr_time": 2030,
         "temp": 35.1, "dewp": 30.0, "humid": 81.0, "wind_dir": 40, "wind_speed": 12.7,
         "precip": 0.05, "pressure": 1012.0, "visib": 3.0}
    ]
}  # fmt: skip


def create_app(root: Path = Path(), max_flights: int | None = None) -> FastAPI:
    """Load the model under `root`, refusing a file whose hash dvc.lock does not record, and serve it;
    /predict and /model require the bearer token of $MLKIT_API_TOKEN when it is set, /health never."""
    guard = bearer_guard()
    guarded = UNAUTHORIZED if guard else {}
    model, version = verified_model(root / paths.MODEL, root / paths.LOCK, TRUSTED_TYPES)
    context_version = verified_md5(root / paths.CONTEXT, root / paths.LOCK)
    context = read_context(root / paths.CONTEXT)
    joined = attach(model, context).named_steps["schedule"].joined_features()
    scorer = scorer_for(model)
    params = project_params(root / paths.PARAMS)
    if max_flights is None:  # params.yaml's, which project_params has checked
        max_flights = params["serve"]["max_flights"]
    categories = known_categories(model)
    request_model = flights_request(max_flights, flight_model(categories))  # its codes: an enum
    threshold = read_json(root / paths.TRAIN_METRICS)["threshold"]
    evaluation = read_json(root / paths.EVALUATE_METRICS)
    expected = expected_weather(model)
    info = {
        "version": version,
        "git_revision": git_revision(root),
        "card": read_json(root / paths.MODEL_CARD),
        "metrics": {name: evaluation[name] for name in ("model", "baseline", "lift", "majority")},
        "threshold": threshold,
        "max_flights": max_flights,
        "expected_weather": expected,
        "known_categories": categories,
        "context": {
            "version": context_version,
            "features": joined,
            "dates": [str(date) for date in context.periods() or ()],  # first and last, yyyymmdd
            "missing": "a flight on a date (or with a key) the context table lacks gets missing values "
            "for these features: its probability then rests on its other fields",
        },
    }
    known_dest = set(categories["dest"])

    dates = info["context"]["dates"]
    covered = f"The context table of this version covers {' to '.join(dates)}." if dates else ""
    description = f"{__doc__} {covered}\n\n{FLIGHT_DESCRIPTION}"
    app = FastAPI(title="Flight disruption risk", version=version, description=description)
    limit_request_body(app, max_flights * MAX_BYTES_PER_FLIGHT)
    add_request_logging(app)  # added last, so outermost: refused bodies are logged too
    add_basic_routes(app, version, info, guard, guarded)

    # async on purpose: scoring is CPU-bound under the GIL, so FastAPI's thread pool (a plain `def`) would
    # add no throughput, only a hand-off per request that halved single-flight throughput (make bench)
    @app.post("/predict", response_model=PredictResponse, responses=REFUSALS | guarded, dependencies=guard)
    async def predict(request: Annotated[request_model, Body(openapi_examples={"one": {"value": EXAMPLE}})]):  # type: ignore[valid-type]
        flights = [flight.inputs() for flight in request.flights]  # the ignored fields left out
        try:
            probabilities = scorer.predict_proba(flights)
        except ValueError as error:  # an input the rules let through but the model cannot use
            raise HTTPException(status_code=422, detail=str(error)) from error
        return PredictResponse(
            model_version=version,
            threshold=threshold,
            predictions=[
                Prediction(
                    probability=float(p),
                    disrupted=bool(p >= threshold),
                    missing_weather=[column for column in expected if flight[column] is None],
                    unseen_dest=flight["dest"] not in known_dest,
                )
                for p, flight in zip(probabilities, flights, strict=True)
            ],
        )

    return app


def main() -> None:
    """`make serve`: uvicorn on loopback unless HOST says otherwise."""
    run_service(create_app)


if __name__ == "__main__":
    main()
