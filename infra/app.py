"""CDK entry point. ``cdk.json`` runs it from the repository root: ``.venv/bin/python infra/app.py``.

Under the CDK CLI, context and output directory come from the CLI. Run directly, it reads the
cdk.json context itself and writes to ``cdk.out/``, so both ways give the same template.
"""

import os
import sys

from leadwire_infra.application import REPO_ROOT, ContextError, build_app, cdk_json_context
from leadwire_infra.config_bundle import ConfigBundleError

if __name__ == "__main__":
    try:
        if "CDK_OUTDIR" in os.environ:
            app = build_app()
        else:
            app = build_app(cdk_json_context(), outdir=str(REPO_ROOT / "cdk.out"))
    except (ContextError, ConfigBundleError) as exc:
        sys.exit(f"leadwire: {exc}")  # the message says what to fix; a traceback would bury it
    app.synth()
