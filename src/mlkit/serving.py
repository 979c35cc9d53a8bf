"""Serving helpers: load exactly the model version that dvc.lock records, log every request, limit a
request's size and require a bearer token when one is set. `mlkit.service_process` runs a service on a
loopback port for tests, benchmarks and smoke checks."""

import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlkit.commands import run
from mlkit.errors import ParamError
from mlkit.persistence import file_md5, load_model

log = logging.getLogger("serving")


class ModelVersionError(RuntimeError):
    """The model file is not the one dvc.lock records: the service must not start."""


def locked_md5(lock: Path, output: Path) -> str:
    """The md5 that dvc.lock records for the stage output `output`."""
    stages = yaml.safe_load(Path(lock).read_text()).get("stages", {})
    wanted = Path(output).resolve()
    for stage in stages.values():
        for out in stage.get("outs", []):
            if (Path(lock).parent / out["path"]).resolve() == wanted:  # relative to dvc.lock's folder
                return out["md5"]
    raise ModelVersionError(f"{lock} records no output {output}: run `dvc repro` first")


def verified_md5(path: Path, lock: Path) -> str:
    """The md5 of the stage output `path`; refuses a file whose hash differs from dvc.lock's (stale or
    tampered)."""
    if not Path(path).exists():
        raise ModelVersionError(f"{path} does not exist: run `dvc repro` or `dvc pull` first")
    expected, actual = locked_md5(lock, path), file_md5(path)
    if expected != actual:
        raise ModelVersionError(
            f"{path} has md5 {actual} but {lock} records {expected}: "
            "run `dvc checkout` (or `dvc repro`) so the file matches the commit"
        )
    return actual


def verified_model(path: Path, lock: Path, trusted: Iterable[str]) -> tuple[Any, str]:
    """(model, version): refuses a file whose hash differs from dvc.lock's (stale or tampered)."""
    version = verified_md5(path, lock)
    return load_model(path, trusted), version


def git_revision(folder: Path = Path()) -> str:
    """The checked-out commit, read once at start-up (never written into a stage output), with "-dirty"
    when a tracked file differs from it (after `dvc exp run`, the model and dvc.lock are not the
    commit's), as `git describe --dirty` says; where there is no git checkout or no git program (a slim
    container image), the GIT_REVISION it was built with."""
    built_from = os.environ.get("GIT_REVISION", "unknown")
    try:
        head = _git(folder, "rev-parse", "HEAD")
        changed = _git(folder, "--no-optional-locks", "status", "--porcelain", "--untracked-files=no")
    except OSError:  # no git program
        return built_from
    if head is None:
        return built_from
    return f"{head}-dirty" if changed else head


def _git(folder: Path, *arguments: str) -> str | None:
    """A git command's output, stripped; None when it fails (not a checkout)."""
    result = run("git", *arguments, cwd=folder)
    return result.stdout.strip() if result.returncode == 0 else None


class RequestLog:
    """ASGI middleware that logs method, path, status and latency of every request (a plain ASGI
    wrapper: Starlette's BaseHTTPMiddleware costs milliseconds a request)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [0]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        elapsed = (time.perf_counter() - start) * 1000
        log.info("%s %s %d %.2f ms", scope["method"], scope["path"], status[0], elapsed)


def add_request_logging(app: FastAPI) -> None:
    app.add_middleware(RequestLog)


class BodyLimit:
    """ASGI middleware that refuses a request body over `max_bytes` with a 413 before anything reads or
    parses it: a declared Content-Length is checked at once, a chunked body is counted as it arrives.
    Without it, a huge body is parsed whole (seconds of CPU) before the schema's size rule answers."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, size: str) -> str:
        return f"the request body of {size} bytes is over the limit of {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"detail": self._too_large(declared)}, 413)(scope, receive, send)
            return
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:  # FastAPI answers an HTTPException raised while it reads
                raise HTTPException(413, self._too_large(f"more than {self.max_bytes}"))
            return message

        await self.app(scope, counting, send)


def limit_request_body(app: FastAPI, max_bytes: int) -> None:
    app.add_middleware(BodyLimit, max_bytes=max_bytes)


TOKEN_VARIABLE = "MLKIT_API_TOKEN"
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # what a bearer token may hold (RFC 6750)


def bearer_guard(token: str | None = None) -> list:
    """The dependencies of the routes a token protects: a request without `Authorization: Bearer <token>`
    gets a 401 with `WWW-Authenticate: Bearer` (the token compared in constant time). `token` defaults to
    $MLKIT_API_TOKEN; with no token set there is no guard, and the service is as open as loopback is.
    The OpenAPI document declares the scheme on the guarded routes."""
    token = os.environ.get(TOKEN_VARIABLE, "") if token is None else token
    if not token:
        return []
    if not _TOKEN68.fullmatch(token):
        raise ParamError(f"{TOKEN_VARIABLE} must be letters, digits and -._~+/ (then '=' padding) only")
    expected = token.encode()
    scheme = HTTPBearer(auto_error=False, description=f"the token the service was given in ${TOKEN_VARIABLE}")

    Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(scheme)]

    async def authorized(credentials: Credentials) -> None:
        given = credentials.credentials.encode() if credentials else b""
        if not secrets.compare_digest(given, expected):
            challenge = {"WWW-Authenticate": "Bearer"}
            raise HTTPException(401, "a valid bearer token is required", headers=challenge)

    return [Depends(authorized)]


def add_basic_routes(
    app: FastAPI, version: str, info: dict, guard: list | None = None, guarded: dict | None = None
) -> None:
    """What every model service answers besides /predict: GET /health (always open), GET /model (`info`,
    behind `guard`, the dependencies of `bearer_guard`, with `guarded` its documented refusals), and a 422
    without the echoed input (a NaN or Infinity there cannot be encoded as JSON)."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("type", "loc", "msg")} for e in error.errors()]
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "model_version": version}

    @app.get("/model", dependencies=guard or [], responses=guarded or {})
    async def model_info() -> dict:
        return info


def run_service(make_app: Callable[[], FastAPI]) -> None:
    """`make serve`: the app of `make_app()` under uvicorn on HOST:PORT (default 127.0.0.1:8000), threads
    pinned as in every stage. A service that must not start (a model file dvc.lock does not record, a bad
    parameter or port, no model yet) says why and exits 1."""
    import sys

    import uvicorn

    from mlkit.errors import ParamError
    from mlkit.runtime import pin_threads

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    pin_threads()
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    try:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ParamError(f"PORT = {port!r} is not a port number (1-65535)")
        app = make_app()
    except (ModelVersionError, ParamError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    uvicorn.run(app, host=host, port=int(port), access_log=False)
