"""CDK entry point. ``cdk.json`` runs it from the repository root: ``.venv/bin/python infra/app.py``.

Under the CDK CLI, context and output directory come from the CLI. Run directly, it reads the
cdk.json context itself and writes to ``cdk.out/``, so both ways give the same template.
"""

import os

from leadwire_infra.application import REPO_ROOT, build_app, cdk_json_context

if __name__ == "__main__":
    if "CDK_OUTDIR" in os.environ:
        build_app().synth()
    else:
        build_app(cdk_json_context(), outdir=str(REPO_ROOT / "cdk.out")).synth()
