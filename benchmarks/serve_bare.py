"""The reference for Serve's overhead: the same API and ``ExportedPolicy`` under plain uvicorn.

``python benchmarks/serve_bare.py POLICY_DIR PORT`` (127.0.0.1 only); started by ``serve_load.py``.
"""

from __future__ import annotations

import sys

import torch
import uvicorn

from learec.serve.api import create_api
from learec.serve.options import ServeConfig
from learec.serve.service import RecommenderService


def main() -> None:
    policy, port = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(1)  # as in a Serve replica
    api = create_api(RecommenderService(policy), api_key=None, max_body_bytes=ServeConfig.max_body_bytes)
    uvicorn.run(api, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
