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
for name in ("postgres", "migrate", "vern", "otel-collector", "jaeger"):
    if name not in services:
        failures.append(f"compose.yaml: no service {name!r}")

# vern exports to the collector, and the collector's pipelines use only what it defines.
endpoint = services.get("vern", {}).get("environment", {}).get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
host = re.sub(r"^https?://", "", endpoint).split(":")[0]
if host not in services:
    failures.append(f"compose.yaml: vern exports to {endpoint!r}, not a service here")
collector = yaml.safe_load((deploy / "otel-collector.yaml").read_text())
pipelines = collector.get("service", {}).get("pipelines", {})
if set(pipelines) != {"traces", "metrics"}:
    failures.append(f"otel-collector.yaml: pipelines {sorted(pipelines)}, want traces and metrics")
for name, pipeline in pipelines.items():
    for kind in ("receivers", "processors", "exporters"):
        for component in pipeline.get(kind, []):
            if component not in (collector.get(kind) or {}):
                failures.append(f"otel-collector.yaml: pipeline {name} names undefined {kind[:-1]} {component!r}")
    if not pipeline.get("receivers") or not pipeline.get("exporters"):
        failures.append(f"otel-collector.yaml: pipeline {name} needs receivers and exporters")
for exporter in (collector.get("exporters") or {}).values():
    target = (exporter or {}).get("endpoint", "")
    target_host = target.split(":")[0]
    if target_host not in ("0.0.0.0", "") and target_host not in services:
        failures.append(f"otel-collector.yaml: exports to {target!r}, not a service in compose.yaml")

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
print(
    f"compose.yaml valid ({len(services)} services); otel-collector.yaml pipelines consistent; "
    "Containerfile multi-stage, non-root"
)
