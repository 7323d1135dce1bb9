"""Grafana's provisioning and dashboard, checked offline (no Grafana runs here): the data source
and the dashboard provider as Grafana reads them, against the paths and the service that
docker-compose.monitoring.yml mounts and runs; the dashboard's uid, layout and data source
references. Writes every panel query into a Prometheus rules file (argv[1]) as a recording rule,
so that `promtool check rules` parses each with Prometheus' own parser.

    python3 monitoring/check-grafana.py QUERIES.yml     # (needs PyYAML)
"""
import json
import pathlib
import sys

import yaml

repo = pathlib.Path(__file__).resolve().parent.parent
errors = []


def expect(cond, what):
    if not cond:
        errors.append(what)


compose = yaml.safe_load((repo / "docker-compose.monitoring.yml").read_text())
grafana = compose["services"]["grafana"]
# host directory (relative to the repository) -> path in the container
mounts = {}
for volume in grafana["volumes"]:
    host, container = volume.split(":")[:2]
    mounts[(repo / host).resolve()] = container
provisioning = repo / "monitoring/grafana/provisioning"
expect(mounts.get(provisioning.resolve()) == "/etc/grafana/provisioning",
       "grafana: monitoring/grafana/provisioning is not mounted at /etc/grafana/provisioning")
expect("GF_SECURITY_ADMIN_PASSWORD" in grafana["environment"], "grafana: no admin password from the environment")
expect(str(grafana["environment"].get("GF_AUTH_ANONYMOUS_ENABLED")) == "true"
       and grafana["environment"].get("GF_AUTH_ANONYMOUS_ORG_ROLE") == "Viewer",
       "grafana: anonymous access is not read-only (Viewer)")

sources = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())
expect(sources.get("apiVersion") == 1, "datasources: apiVersion is not 1")
uids = {}
for source in sources["datasources"]:
    for key in ("name", "uid", "type", "url"):
        expect(key in source, f"datasource {source.get('name')}: no {key}")
    uids[source["uid"]] = source["type"]
    host = source["url"].split("//", 1)[1].split(":")[0]
    expect(host in compose["services"], f"datasource {source['name']}: {host} is no service of the monitoring stack")

providers = yaml.safe_load((provisioning / "dashboards/votelab.yml").read_text())
expect(providers.get("apiVersion") == 1, "dashboard providers: apiVersion is not 1")
dashboards = []
for provider in providers["providers"]:
    path = provider["options"]["path"]
    hosts = [h for h, c in mounts.items() if c == path]
    expect(len(hosts) == 1, f"provider {provider['name']}: nothing is mounted at {path}")
    for host in hosts:
        dashboards += sorted(host.glob("*.json"))
expect(dashboards, "no dashboard JSON where the providers look")

rules = []
seen_uids = set()
for file in dashboards:
    dash = json.loads(file.read_text())
    name = file.name
    expect(dash.get("uid") and dash["uid"] not in seen_uids, f"{name}: no uid, or one of another dashboard")
    seen_uids.add(dash.get("uid"))
    expect(dash.get("id") is None, f"{name}: a database id (a provisioned dashboard must have none)")
    expect(isinstance(dash.get("schemaVersion"), int), f"{name}: no schemaVersion")
    ids = [p.get("id") for p in dash["panels"]]
    expect(len(ids) == len(set(ids)) and None not in ids, f"{name}: panel ids missing or repeated")
    cells = set()
    for panel in dash["panels"]:
        where = f"{name}: panel {panel.get('id')} ({panel.get('title')})"
        grid = panel.get("gridPos", {})
        expect(all(k in grid for k in "xywh") and grid["x"] + grid["w"] <= 24, f"{where}: gridPos outside the 24 columns")
        area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])}
        expect(not area & cells, f"{where}: overlaps another panel")
        cells |= area
        expect(panel.get("title") and panel.get("description"), f"{where}: no title or description")
        refs = [t.get("refId") for t in panel.get("targets", [])]
        expect(refs and len(refs) == len(set(refs)), f"{where}: no queries, or repeated refIds")
        for target in [panel] + panel.get("targets", []):
            source = target.get("datasource", {})
            expect(uids.get(source.get("uid")) == source.get("type") == "prometheus",
                   f"{where}: data source {source} is not the provisioned Prometheus")
        for target in panel.get("targets", []):
            expect(target.get("expr"), f"{where} {target.get('refId')}: no expr")
            rules.append({"record": f"panel_{dash['uid']}_{panel['id']}_{target['refId']}", "expr": target["expr"]})

pathlib.Path(sys.argv[1]).write_text(yaml.safe_dump({"groups": [{"name": "dashboard_queries", "rules": rules}]}))
for e in errors:
    print(f"FAIL {e}")
print(f"grafana: {len(dashboards)} dashboard(s), {len(rules)} panel queries, {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
