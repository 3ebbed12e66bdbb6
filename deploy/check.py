"""The compose file against the Compose schema, and the Containerfile's promises."""

import json
import pathlib
import re
import sys

import jsonschema
import yaml

deploy = pathlib.Path(__file__).parent
failures = []

schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
compose = yaml.safe_load((deploy / "compose.yaml").read_text())
# The schema names draft 2019-09 with a trailing "#", which jsonschema does not recognise.
validator = jsonschema.Draft201909Validator(schema)
for error in validator.iter_errors(compose):
    path = "/".join(str(part) for part in error.absolute_path) or "(top)"
    failures.append(f"compose.yaml {path}: {error.message}")
services = compose.get("services", {})
for name in ("postgres", "migrate", "vern"):
    if name not in services:
        failures.append(f"compose.yaml: no service {name!r}")

containerfile = (deploy / "Containerfile").read_text()
stages = re.findall(r"^FROM\s+\S+(?:\s+AS\s+(\S+))?", containerfile, re.MULTILINE)
if len(stages) < 2:
    failures.append("Containerfile: not multi-stage (one FROM)")
users = re.findall(r"^USER\s+(\S+)", containerfile, re.MULTILINE)
if not users or users[-1].split(":")[0] in ("0", "root"):
    failures.append("Containerfile: the final stage must run as a non-root USER")

for line in failures:
    print(line, file=sys.stderr)
if failures:
    sys.exit(1)
print(f"compose.yaml valid ({len(services)} services); Containerfile multi-stage, non-root")
