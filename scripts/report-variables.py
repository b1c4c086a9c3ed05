#!/usr/bin/env python3
"""Writes the table of the seed report's variables (tests/fixtures/seed-release-report.md):
lib/report/report_vars_table.c (compiled into the binding: the reason each unknowable variable
gives) and docs/report-variables.md. Run from the repository root after changing a rule below:

    /usr/bin/python3 scripts/report-variables.py
"""
import re
import subprocess
import sys

SEED = "tests/fixtures/seed-release-report.md"

# Variables computed from a run when their section exists: name -> source in run.json.
CAT = {"K8S": "kubernetes", "HEALTH": "service_health", "DB": "database", "GRAFANA": "grafana",
       "PROM": "prometheus_rules", "JAEGER": "jaeger", "WS": "websocket", "PPO": "ppo",
       "SLO": "slo", "CANARY": "canary", "API": "api", "AGENT": "agents", "COORD": "coordination",
       "AUTOML": "automl", "HYPERSYNC": "hypersync", "COGNITIVE": "cognitive",
       "REGION": "multi_region", "SECURITY": "security"}
RUN = {
    "GIT_SHA": 'release.git_sha',
    "APP_VERSION": 'release.version',
    "DEPLOYMENT_DATE": 'release.deployed_at',
    "CANARY_STATUS": 'canary.verdict',
    "CANARY_ENABLED": '"enabled" when run.json has canary',
    "CANARY_SECTION": 'canary.metrics, as a table (name, baseline, current, delta_pct, verdict)',
    "MIGRATION_STATUS": 'stages[name="migrate"].status',
    "MIGRATION_DURATION": 'stages[name="migrate"].duration_ms / 1000 (s)',
    "STAGING_MIGRATION": 'stages[name="migrate"].duration_ms / 1000 (s)',
    "RULES_STATUS": 'stages[name="rules"].status',
    "RULES_DURATION": 'stages[name="rules"].duration_ms / 1000 (s)',
    "DEPLOY_DURATION": 'stages[name="deploy"].duration_ms / 1000 (s)',
    "STAGING_DURATION": 'stages[name="deploy"].duration_ms / 1000 (s)',
    "STAGING_ROLLBACK": 'stages[name="rollback"].duration_ms / 1000 (s)',
    "STAGING_TOTAL": 'checks: number of checks in all suites',
    "STAGING_PASSED": 'checks: status "pass"', "STAGING_FAILED": 'checks: status "fail"',
    "STAGING_SKIPPED": 'checks: status "skip"',
    "STAGING_PASS_RATE": 'checks: passed / total × 100',
    "STAGING_TOTAL_PASS": 'checks: passed / total × 100',
    "REGRESSION_TOTAL": 'checks whose category is a regression one (api, agents, coordination, automl, hypersync, cognitive, multi_region, security)',
    "REGRESSION_PASSED": 'as REGRESSION_TOTAL, status "pass"',
    "REGRESSION_FAILED": 'as REGRESSION_TOTAL, status "fail"',
    "REGRESSION_SKIPPED": 'as REGRESSION_TOTAL, status "skip"',
    "REGRESSION_PASS_RATE": 'as REGRESSION_TOTAL, passed / total × 100',
    "STAGING_E2E_PASS": 'checks of category e2e: passed / total',
    "STAGING_SEC_PASS": 'checks of category security: passed / total',
    "STAGING_PERF_PASS": 'loads[].thresholds: passed / total',
    "TOTAL_REQUESTS": 'Σ loads[].result.total.requests',
    "FAILED_REQUESTS": 'Σ loads[].result.total.failures',
    "SUCCESSFUL_REQUESTS": 'Σ requests − Σ failures',
    "SUCCESS_RATE": '(requests − failures) / requests × 100',
    "FAILURE_RATE": 'failures / requests × 100',
    "THROUGHPUT": 'Σ requests / Σ loads[].result.duration_ms × 1000',
    "STAGING_THROUGHPUT": 'as THROUGHPUT',
    "STAGING_ERROR_RATE": 'as FAILURE_RATE',
    "STAGING_SLO_ERR": 'as FAILURE_RATE',
    "STAGING_API_P95": 'max loads[].result.total.summary.p95_ms',
    "STAGING_SLO_LAT": 'max loads[].result.total.summary.p95_ms',
    "STAGING_API_P99": 'max loads[].result.total.summary.p99_ms',
    "BENCHMARK_REPORT_URL": 'loads[-1].file (the load result beside run.json)',
    "STAGING_REPORT_URL": '"checks.junit.xml" when run.json has checks',
    "REGRESSION_REPORT_URL": '"checks.junit.xml" when a regression category ran',
    "WS_CONNECTIONS": 'ws[-1].connections.established',
    "WS_ESTABLISHED": 'ws[-1].connections.established',
    "WS_ERROR": 'ws[-1].connections.failed / (established + failed) × 100',
    "WS_STATUS": 'WS_ERROR < 1 %', "WS_EST_STATUS": 'ws[-1].connections.failed == 0',
    "WS_RECONNECTIONS": 'ws[-1].reconnects.count',
    "WS_RECON_TIME": 'ws[-1].reconnects.avg_ms / 1000 (s)',
    "WS_RECON_STATUS": 'ws[-1].reconnects.avg_ms < 30 s',
    "WS_SENT": 'ws[-1].messages.expected', "WS_RECEIVED": 'ws[-1].messages.received',
    "WS_LOSS_RATE": 'ws[-1].messages.lost / expected × 100',
    "WS_LOSS_STATUS": 'WS_LOSS_RATE < 0.1 %',
    "STAGING_SLO_WS": 'ws[-1].messages.received / expected × 100',
    "STAGING_TARS_1001_TIME": 'ws[-1].reconnects.avg_ms / 1000 (s)',
    "STAGING_DB_P95": 'max db[].p95_ms', "STAGING_SLO_DB": 'max db[].p95_ms',
    "STAGING_TARS_1003_PROP": 'checks of category jaeger: passed / total',
    "STAGING_TARS_1004_INDEX": 'db[].plan.uses_index: how many plans use an index',
    "STAGING_TARS_1005_STABLE": 'checks of category ppo: passed / total',
    "STAGING_AVAILABILITY": 'zero_downtime: (requests − failed) / requests × 100',
    "STAGING_DOWNTIME": 'zero_downtime.longest_gap_ms',
    "KNOWN_ISSUES": 'computed: every failure, missing evidence and skipped check of the run',
    "REPORT_TIMESTAMP": 'the time of rendering (SOURCE_DATE_EPOCH when set)',
}
for prefix, cat in CAT.items():
    RUN[prefix + "_TESTS"] = f'checks of category {cat}: count'
    RUN[prefix + "_PASSED"] = f'checks of category {cat}: status "pass"'
    RUN[prefix + "_FAILED"] = f'checks of category {cat}: status "fail"'
    RUN[prefix + "_PASS_RATE"] = f'checks of category {cat}: passed / total × 100'
for prefix, task, path in (("AGENTS", "agents", "/api/v1/agents"), ("EVAL", "evaluations", "/api/v1/evaluations"),
                           ("METRICS", "metrics", "/api/v1/metrics")):
    src = f'loads[].result.tasks[name="{task}" or path="{path}"]'
    RUN[prefix + "_REQUESTS"] = src + ".requests"
    for p in ("P50", "P95", "P99"):
        RUN[f"{prefix}_{p}"] = src + f".summary.{p.lower()}_ms"
    RUN[prefix + "_ERROR"] = src + ".summary.error_rate × 100"
    RUN[prefix + "_STATUS"] = src + ".summary.p95_ms < 150 ms"
for prefix, word in (("EVAL", "eval"), ("REWARD", "reward"), ("TEMPORAL", "temporal"), ("REGION", "region")):
    for p in ("P50", "P95", "P99"):
        RUN[f"DB_{prefix}_{p}"] = f'db[family contains "{word}"].{p.lower()}_ms'
    RUN[f"DB_{prefix}_STATUS"] = f'db[family contains "{word}"].passed'

# Everything else: why a run cannot know it (first matching rule wins).
RULES = [
    (r"^PROD_", "a production value: not known from a staging run (render the production run's own report)"),
    (r"_DELTA$", "a staging/production delta: needs production figures, which a staging run does not have"),
    (r"_COST$|^(STAGING|PROD)_(COMPUTE|STORAGE)$", "cost is not measured by tars"),
    (r"^(ORCHESTRATION|INSIGHT|POLICY|CONSENSUS|CAUSAL|AUTOML|HYPERSYNC|API|FRONTEND)_(TAG|DIGEST|SIZE)$|^TOTAL_IMAGE_SIZE$",
     "container images are not built or inspected by tars (tars package records its own artifacts)"),
    (r"^(DEPLOYMENT|POD|SERVICE|CONFIGMAP|SECRET|PVC|INGRESS|HPA)_(COUNT|STATUS)$",
     "Kubernetes object counts are not recorded in a run (the kubernetes checks judge the objects; see §3.2)"),
    (r"^GRAFANA_(AVG|P95|P99|MIN|MAX)(_STATUS)?$",
     "no Grafana cold-load benchmark in tars (the grafana checks time dashboard loads; see §3.2)"),
    (r"^HELM_|^BUILD_TIMESTAMP$|^DEPLOYED_BY$",
     "not recorded in a run (tars release records version, git sha, environment and time only)"),
    (r"^TLS_EXPIRY$", "no certificate expiry is recorded in a run"),
    (r"^FUTURE_ENHANCEMENTS$", "plans are not measurements: write them by hand"),
    (r"_URL$", "not an output of a run: link the document by hand"),
    (r"^STAGING_(CLUSTER_SIZE|NODE_COUNT|CPU|MEMORY|MIN_REPLICAS|MAX_REPLICAS|LIMITS|DB_SIZE|MISSIONS|USERS|RPS|PEAK_RPS|WS)$",
     "infrastructure and traffic inventory is not recorded in a run"),
    (r"^STAGING_(SCRAPE|RETENTION|TS|DASHBOARDS|REFRESH|RULES|SAMPLING|TRACE_RET|ALERTS|PD|RESPONSE|NETPOL)$",
     "monitoring configuration is not recorded in a run"),
    (r"^STAGING_(UNIT|INT)_PASS$", "unit and integration tests of the services are not run by tars"),
    (r"^STAGING_(STRATEGY)$", "the rollout strategy is not recorded in a run"),
    (r"^STAGING_(DASHBOARD|QUERY)$", "no Grafana cold-load benchmark in tars (the grafana checks judge dashboards)"),
    (r"^STAGING_(PPO_MEM|TOTAL_MEM)$", "memory figures are not recorded (the ppo checks judge memory against its limit)"),
    (r"^STAGING_DB_POOL$", "connection pool use is not recorded in a run"),
    (r"^STAGING_WS_(DISC|RECON)$", "disconnect and reconnect-success rates are not recorded (ws-stress records counts and times)"),
    (r"^STAGING_TARS_100[1-5]_", "no measurement of this criterion is recorded in a run (see the hotfix section for what is)"),
]

def reason(name):
    for pattern, why in RULES:
        if re.search(pattern, name):
            return why
    return None

def main():
    names = sorted(set(re.findall(r"\{([A-Z][A-Z0-9_]*)\}", open(SEED, encoding="utf-8").read())))
    rows, bad = [], []
    for n in names:
        if n in RUN:
            rows.append((n, 1, "run.json " + RUN[n]))
        elif reason(n):
            rows.append((n, 0, reason(n)))
        else:
            bad.append(n)
    if bad:
        sys.exit("no source or reason for: " + ", ".join(bad))
    c = ["/* generated by scripts/report-variables.py from tests/fixtures/seed-release-report.md; do not edit */",
         '#include "report_vars_int.h"', "", "static const struct tars_report_var_doc docs[] = {"]
    for n, from_run, src in rows:
        c.append('    {"%s", "%s", %d},' % (n, src.replace('\\', '\\\\').replace('"', '\\"'), from_run))
    c += ["};", "", "const struct tars_report_var_doc *tars_report_var_docs(size_t *count)", "{",
          "    *count = sizeof(docs) / sizeof(docs[0]);", "    return docs;", "}", "",
          "void bind_unknowable(struct bind *b)", "{",
          "    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {",
          "        if (!docs[i].from_run)",
          "            bind_reason(b, docs[i].name, docs[i].source);",
          "    }", "}", ""]
    open("lib/report/report_vars_table.c", "w", encoding="utf-8").write("\n".join(c))
    # as clang-format writes it, so the format lint (tests/lint/format.sh) agrees
    subprocess.run(["clang-format-14", "-i", "lib/report/report_vars_table.c"], check=True)
    known = sum(r[1] for r in rows)
    d = ["# Report variables: the seed's 389 placeholders", "",
         "Every `{VARIABLE}` of the original staging release report template",
         "(`tests/fixtures/seed-release-report.md`, a copy of `seeds/003`), with where `tars report` takes",
         "its value from in a run (`run.json`, [docs/run-format.md](run-format.md)) or why no run can know it.",
         "When a computed variable's section is missing from the run, it reads `n/a (reason)` with the",
         "missing section named (e.g. `n/a (no WebSocket run recorded (tars ws-stress --run DIR))`).",
         "Units follow one rule ([docs/report.md](report.md#units)).", "",
         f"{len(rows)} variables: {known} computed from a run, {len(rows) - known} that no run can know.",
         "This page and `lib/report/report_vars_table.c` are generated together by",
         "`scripts/report-variables.py`; `integration.report.seed` renders the seed template and fails",
         "when a variable is left without a value or a documented reason.", "",
         "| variable | source in run.json, or why it is n/a |", "|---|---|"]
    for n, from_run, src in rows:
        d.append(f"| `{n}` | {src if from_run else 'n/a: ' + src} |")
    open("docs/report-variables.md", "w", encoding="utf-8").write("\n".join(d) + "\n")
    print(f"{len(rows)} variables, {known} from a run")

main()
