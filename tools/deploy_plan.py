"""What deploy.sh deploys, read from the registry: one line per function, tab-separated.

python -m tools.deploy_plan functions     # name<TAB>kind (http|pubsub)<TAB>access
python -m tools.deploy_plan gateway --project P --region R   # the API Gateway OpenAPI doc
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from typing import Any

from common.openapi import build_openapi
from common.registry import all_endpoints

__all__ = ["main"]


def gateway_document(*, project: str, region: str) -> dict[str, Any]:
    """Return the OpenAPI document with each operation routed to its function."""
    document = copy.deepcopy(build_openapi())
    by_name = {endpoint.name: endpoint for endpoint in all_endpoints()}
    for item in document["paths"].values():
        for operation in item.values():
            name = operation["operationId"]
            address = f"https://{region}-{project}.cloudfunctions.net/{name}"
            operation["x-google-backend"] = {
                "address": address,
                "path_translation": "APPEND_PATH_TO_ADDRESS",
                "deadline": 60.0 if by_name[name].streams else 30.0,
            }
    return document


def main(argv: list[str] | None = None) -> int:
    """Print the function list or the gateway document."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["functions", "gateway"])
    parser.add_argument("--project", default="")
    parser.add_argument("--region", default="europe-west1")
    args = parser.parse_args(argv)
    if args.what == "functions":
        for endpoint in all_endpoints():
            kind = "http" if endpoint.is_http else "pubsub"
            sys.stdout.write(f"{endpoint.name}\t{kind}\t{endpoint.access}\n")
    else:
        document = gateway_document(project=args.project, region=args.region)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
