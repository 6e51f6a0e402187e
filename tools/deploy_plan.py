"""What deploy.sh deploys, read from the registry.

python -m tools.deploy_plan functions     # name<TAB>kind (http|pubsub)<TAB>access<TAB>service
python -m tools.deploy_plan gateway --project P --region R --project-number N --host H
    # the API Gateway config (OpenAPI 2.0) routing every public route to its function
python -m tools.deploy_plan webconfig --project P --api-base-url URL --sdk-config F --out O
    # the web client's /config.json for production, from `firebase apps:sdkconfig WEB --json`

The gateway config follows API Gateway's documentation for OpenAPI 2.0:

- one path per public route (``public``, ``user`` and ``admin`` access), none for the internal
  functions (``tasks``, ``pubsub``), which their callers reach at their own URLs with OIDC tokens;
- ``x-google-backend`` on each operation: ``address`` is the function's Cloud Run URL, with no
  path; ``path_translation: APPEND_PATH_TO_ADDRESS`` appends the request path, so the function
  receives ``/api/<route>`` and matches the route at the end of it (``Endpoint.path_regex``);
  ``disable_auth: true``, so the gateway adds no token of its own and passes the caller's
  ``Authorization`` header (the Firebase ID token, checked by the function) through unchanged;
- ``host`` is the API's managed service and ``x-google-endpoints`` lists it with
  ``allowCors: true``: the gateway forwards ``OPTIONS`` preflights to the functions, which
  answer them for ALLOWED_ORIGINS.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from common.registry import Endpoint, all_endpoints

__all__ = [
    "BASE_PATH",
    "PUBLIC_ACCESS",
    "gateway_document",
    "main",
    "service_name",
    "service_url",
    "web_config",
]

BASE_PATH = "/api"
PUBLIC_ACCESS = frozenset({"public", "user", "admin"})


def service_name(name: str) -> str:
    """Return the Cloud Run service of a function (Cloud Functions gen2 names it so)."""
    return name.replace("_", "-")


def service_url(name: str, *, project_number: str, region: str) -> str:
    """Return the function's deterministic Cloud Run URL (no path)."""
    return f"https://{service_name(name)}-{project_number}.{region}.run.app"


def _operation(endpoint: Endpoint, address: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "x-google-backend": {
            "address": address,
            "path_translation": "APPEND_PATH_TO_ADDRESS",
            "disable_auth": True,
            "deadline": 60.0 if endpoint.streams else 30.0,
        },
        "responses": {str(endpoint.status): {"description": "Success"}},
    }
    if endpoint.path_params:
        operation["parameters"] = [
            {"name": name, "in": "path", "required": True, "type": "string"}
            for name in endpoint.path_params
        ]
    return operation


def gateway_document(
    *, project: str, region: str, project_number: str = "PROJECT_NUMBER", host: str = ""
) -> dict[str, Any]:
    """Return the API Gateway config: OpenAPI 2.0, one path per public route."""
    host = host or f"peerprep.apigateway.{project}.cloud.goog"
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in all_endpoints():
        if not endpoint.is_http or endpoint.access not in PUBLIC_ACCESS:
            continue
        assert endpoint.path is not None and endpoint.method is not None
        address = service_url(endpoint.name, project_number=project_number, region=region)
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, address)
    return {
        "swagger": "2.0",
        "info": {
            "title": "PeerPrep API",
            "version": "1.0.0",
            "description": "Match with a peer, solve a question together, ask the AI assistant.",
        },
        "host": host,
        "x-google-endpoints": [{"name": host, "allowCors": True}],
        "basePath": BASE_PATH,
        "schemes": ["https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": dict(sorted(paths.items())),
    }


def web_config(
    *,
    project: str,
    api_base_url: str,
    sdk_config: dict[str, Any],
    database: str = "(default)",
) -> dict[str, Any]:
    """Return the web client's production ``/config.json`` (the shape devstack/web.py serves).

    ``sdk_config`` is what ``firebase apps:sdkconfig WEB --json`` prints, or its ``sdkConfig``;
    ``database`` is the Firestore database the client's listeners read.
    """
    sdk = sdk_config.get("result", sdk_config)
    sdk = sdk.get("sdkConfig", sdk)
    api_key = sdk.get("apiKey")
    if not isinstance(api_key, str) or not api_key:
        raise ValueError("the Firebase web config has no apiKey")
    return {
        "apiBaseUrl": api_base_url.rstrip("/"),
        "firebase": {
            "apiKey": api_key,
            "authDomain": sdk.get("authDomain") or f"{project}.firebaseapp.com",
            "projectId": sdk.get("projectId") or project,
        },
        "firestoreDatabase": database,
        "emulators": None,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the function list or the gateway document."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["functions", "gateway", "webconfig"])
    parser.add_argument("--project", default="")
    parser.add_argument("--region", default="europe-west1")
    parser.add_argument("--project-number", default="PROJECT_NUMBER")
    parser.add_argument("--host", default="", help="the API's managed service")
    parser.add_argument("--api-base-url", default="")
    parser.add_argument("--sdk-config", default="", help="firebase apps:sdkconfig WEB --json")
    parser.add_argument("--firestore-database", default="(default)")
    parser.add_argument("--out", default="-")
    args = parser.parse_args(argv)
    if args.what == "webconfig":
        sdk_config = json.loads(Path(args.sdk_config).read_text(encoding="utf-8"))
        config = web_config(
            project=args.project,
            api_base_url=args.api_base_url,
            sdk_config=sdk_config,
            database=args.firestore_database,
        )
        text = json.dumps(config, indent=2) + "\n"
        if args.out == "-":
            sys.stdout.write(text)
        else:
            Path(args.out).write_text(text, encoding="utf-8")
        return 0
    if args.what == "functions":
        for endpoint in all_endpoints():
            kind = "http" if endpoint.is_http else "pubsub"
            service = service_name(endpoint.name)
            sys.stdout.write(f"{endpoint.name}\t{kind}\t{endpoint.access}\t{service}\n")
    else:
        document = gateway_document(
            project=args.project,
            region=args.region,
            project_number=args.project_number,
            host=args.host,
        )
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
