"""Every endpoint's shape as docs/api.md specifies it, plus /metrics, trace context and CORS."""

import json
import re
import time
import unittest

import harness as H

S = None
CORS_OK = "https://tars.ai"
CORS_OK2 = "https://staging.tars.ai"
CORS_BAD = "https://evil.example"

EVAL_KEYS = ["id", "agent_id", "region", "status", "reward", "duration_ms", "details", "created_at", "updated_at"]
AGENT_KEYS = ["id", "agent_id", "type", "name", "status", "region", "state_dim", "action_dim",
              "current_episode", "total_steps", "recent_reward_mean", "updated_at"]
STATE_KEYS = ["episode", "step", "reward", "epsilon", "region", "timestamp"]
MISSION_KEYS = ["id", "name", "status", "agent_id", "details", "created_at", "updated_at"]
TRACEPARENT_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def setUpModule():
    global S
    S = H.start_shared(["--cors-origins", "%s,%s" % (CORS_OK, CORS_OK2)])


def tearDownModule():
    global S
    H.stop_shared(S)
    S = None


def V():
    return S.token("viewer")


def D():
    return S.token("developer")


class Public(H.ApiTestCase):

    def test_health(self):
        r = S.get("/health")
        self.assertStatus(r, 200)
        j = self.assertJson(r)
        self.assertKeys(j, ["status", "service", "version", "timestamp", "database", "websocket_connections"],
                        "/health")
        self.assertEqual(j["status"], "healthy")
        self.assertEqual(j["service"], "tars-dashboard-api")
        self.assertEqual(j["version"], "v1.0.1")
        self.assertEqual(j["database"], H.backend())
        self.assertEqual(j["websocket_connections"], 0)
        self.assertRegex(j["timestamp"], H.ISO_RE)

    def test_ready(self):
        r = S.get("/ready")
        self.assertStatus(r, 200)
        self.assertEqual(self.assertJson(r), {"status": "ready"})

    def test_version(self):
        r = S.get("/api/v1/version")
        self.assertStatus(r, 200)
        j = self.assertJson(r)
        self.assertKeys(j, ["version", "git_sha", "build_time", "api"], "/api/v1/version")
        self.assertEqual(j["version"], "v1.0.1")
        self.assertEqual(j["api"], "v1")

    def test_every_response_is_json_with_error_shape_on_404(self):
        r = S.get("/api/v1/does-not-exist")
        self.assertError(r, 404, "not_found")
        self.assertJson(r)


class Agents(H.ApiTestCase):

    def agents(self):
        r = S.get("/api/v1/agents", token=V())
        self.assertStatus(r, 200)
        return self.assertJson(r)

    def test_list(self):
        j = self.agents()
        self.assertKeys(j, ["agents", "total"], "/api/v1/agents")
        self.assertEqual(j["total"], 4)
        self.assertEqual(len(j["agents"]), 4)
        for a in j["agents"]:
            self.assertKeys(a, AGENT_KEYS, "agent")
        # the four agents of the original: policy/DQN, consensus/A2C, ethical/PPO, resource/DDPG
        self.assertEqual({a["id"]: a["type"] for a in j["agents"]},
                         {"policy": "DQN", "consensus": "A2C", "ethical": "PPO", "resource": "DDPG"})
        for a in j["agents"]:
            self.assertEqual(a["agent_id"], a["id"])
        self.assertEqual(len({a["id"] for a in j["agents"]}), 4, "agent ids not unique")

    def test_detail(self):
        for a in self.agents()["agents"]:
            r = S.get("/api/v1/agents/%s" % a["id"], token=V())
            self.assertStatus(r, 200)
            d = self.assertJson(r)
            self.assertKeys(d, AGENT_KEYS + ["history", "statistics"], "agent detail")
            self.assertEqual(d["id"], a["id"])
            self.assertIsInstance(d["history"], list)
            self.assertLessEqual(len(d["history"]), 100)
            self.assertTrue(d["history"], "demo agent %s has no history" % a["id"])
            for s in d["history"][:3]:
                self.assertKeys(s, STATE_KEYS, "history state")
            st = d["statistics"]
            self.assertKeys(st, ["total_steps", "mean_reward", "std_reward", "min_reward", "max_reward",
                                 "recent_trend"], "statistics")
            self.assertIn(st["recent_trend"], ("improving", "stable", "declining"))
            self.assertLessEqual(st["min_reward"], st["max_reward"])

    def test_unknown_agent(self):
        self.assertError(S.get("/api/v1/agents/no-such-agent", token=V()), 404, "not_found")

    def test_history_paging(self):
        aid = self.agents()["agents"][0]["id"]
        full = S.get("/api/v1/agents/%s/history?limit=1000&offset=0" % aid, token=V())
        self.assertStatus(full, 200)
        fj = self.assertJson(full)
        self.assertKeys(fj, ["agent_id", "history", "total", "limit", "offset"], "history")
        self.assertEqual(fj["agent_id"], aid)
        self.assertEqual(fj["limit"], 1000)
        self.assertEqual(fj["offset"], 0)
        total = fj["total"]
        self.assertGreaterEqual(total, 3, "demo history too short to test paging")
        self.assertEqual(len(fj["history"]), min(total, 1000))
        for s in fj["history"]:
            self.assertKeys(s, STATE_KEYS, "history state")
        page = S.get("/api/v1/agents/%s/history?limit=2&offset=1" % aid, token=V())
        self.assertStatus(page, 200)
        pj = page.json()
        self.assertEqual(pj["total"], total)
        self.assertEqual(pj["limit"], 2)
        self.assertEqual(pj["offset"], 1)
        self.assertEqual(pj["history"], fj["history"][1:3])
        default = S.get("/api/v1/agents/%s/history" % aid, token=V()).json()
        self.assertEqual(default["limit"], 100)
        self.assertEqual(default["offset"], 0)
        beyond = S.get("/api/v1/agents/%s/history?limit=5&offset=%d" % (aid, total + 10), token=V())
        self.assertStatus(beyond, 200)
        self.assertEqual(beyond.json()["history"], [])
        for q in ("limit=0", "limit=1001", "limit=abc", "offset=-1"):
            self.assertError(S.get("/api/v1/agents/%s/history?%s" % (aid, q), token=V()), 400, "bad_request", q)
        r = S.get("/api/v1/agents/no-such-agent/history", token=V())
        if r.status != 404:
            H.note("GET /api/v1/agents/no-such-agent/history -> %s (contract silent; 404 expected by analogy)"
                   % r.describe(200))


class Evaluations(H.ApiTestCase):

    def create(self, **fields):
        body = {"agent_id": "policy", "region": "us-east-1"}
        body.update(fields)
        r = S.post("/api/v1/evaluations", body, token=D())
        self.assertStatus(r, 201)
        return r

    def test_create_and_get(self):
        agent = H.unique("agent")
        body = {"agent_id": agent, "region": "eu-central-1", "status": "running", "reward": 12.25,
                "duration_ms": 1234, "details": {"episode": 7, "note": "ünïcode ✓", "nested": {"a": [1, 2]}}}
        r = S.post("/api/v1/evaluations", body, token=D())
        self.assertStatus(r, 201)
        e = self.assertJson(r)
        self.assertKeys(e, EVAL_KEYS, "EVAL")
        for k, v in body.items():
            self.assertEqual(e[k], v, "field %s" % k)
        self.assertEqual(r.header("Location"), "/api/v1/evaluations/%s" % e["id"])
        self.assertRegex(e["created_at"], H.ISO_RE)
        self.assertRegex(e["updated_at"], H.ISO_RE)
        g = S.get(r.header("Location") or "/api/v1/evaluations/%s" % e["id"], token=V())
        self.assertStatus(g, 200)
        self.assertEqual(self.assertJson(g), e)

    def test_defaults(self):
        e = self.create(agent_id=H.unique("agent")).json()
        self.assertEqual(e["status"], "pending")
        self.assertIsNone(e["reward"])
        self.assertIsNone(e["duration_ms"])
        self.assertIsNone(e["details"])

    def test_unknown_id(self):
        self.assertError(S.get("/api/v1/evaluations/999999999", token=V()), 404, "not_found")
        self.assertError(S.get("/api/v1/evaluations/no-such-id", token=V()), 404, "not_found")

    def test_list_shape_and_filters(self):
        agent = H.unique("agent")
        region = H.unique("region")
        t0 = H.iso_now(-5)
        a = self.create(agent_id=agent, region=region, status="completed", reward=1.0).json()
        b = self.create(agent_id=agent, region="other-" + region, status="pending").json()
        c = self.create(agent_id=H.unique("agent"), region=region, status="error").json()

        r = S.get("/api/v1/evaluations", token=V())
        self.assertStatus(r, 200)
        j = self.assertJson(r)
        self.assertKeys(j, ["evaluations", "total", "limit", "offset"], "evaluations list")
        self.assertEqual(j["limit"], 100)
        self.assertEqual(j["offset"], 0)
        self.assertGreaterEqual(j["total"], 3)
        for e in j["evaluations"]:
            self.assertKeys(e, EVAL_KEYS, "EVAL in list")

        def ids(q):
            r = S.get("/api/v1/evaluations?" + q, token=V())
            self.assertStatus(r, 200, q)
            jj = r.json()
            self.assertEqual(jj["total"], len(jj["evaluations"]), q)
            return {e["id"] for e in jj["evaluations"]}, jj["evaluations"]

        got, evs = ids("agent_id=" + agent)
        self.assertEqual(got, {a["id"], b["id"]})
        self.assertTrue(all(e["agent_id"] == agent for e in evs))
        got, _ = ids("region=" + region)
        self.assertEqual(got, {a["id"], c["id"]})
        got, _ = ids("agent_id=%s&status=completed" % agent)
        self.assertEqual(got, {a["id"]})
        got, _ = ids("agent_id=%s&region=%s" % (agent, region))
        self.assertEqual(got, {a["id"]})
        got, _ = ids("agent_id=%s&since=%s" % (agent, t0))
        self.assertEqual(got, {a["id"], b["id"]})
        got, _ = ids("agent_id=%s&since=%s" % (agent, H.iso_now(3600)))
        self.assertEqual(got, set())

    def test_limit_offset(self):
        agent = H.unique("agent")
        made = {self.create(agent_id=agent, reward=float(i)).json()["id"] for i in range(5)}
        seen = []
        for off in (0, 2, 4):
            r = S.get("/api/v1/evaluations?agent_id=%s&limit=2&offset=%d" % (agent, off), token=V())
            self.assertStatus(r, 200)
            j = r.json()
            self.assertEqual(j["total"], 5)
            self.assertEqual(j["limit"], 2)
            self.assertEqual(j["offset"], off)
            self.assertEqual(len(j["evaluations"]), 2 if off < 4 else 1)
            seen += [e["id"] for e in j["evaluations"]]
        self.assertEqual(len(seen), 5, "pages overlap")
        self.assertEqual(set(seen), made)
        for lim in (1, 1000):
            self.assertStatus(S.get("/api/v1/evaluations?limit=%d" % lim, token=V()), 200, "limit=%d" % lim)
        self.assertEqual(len(S.get("/api/v1/evaluations?limit=1", token=V()).json()["evaluations"]), 1)
        for q in ("limit=0", "limit=1001", "limit=-1", "limit=abc", "offset=-1", "offset=x",
                  "since=yesterday", "status=bogus"):
            r = S.get("/api/v1/evaluations?" + q, token=V())
            err = self.assertError(r, 400, "bad_request", q)
            self.assertIn(q.split("=")[0], err["message"], "the message does not name the parameter: " + q)

    def test_update(self):
        e = self.create(agent_id=H.unique("agent"), reward=1.0).json()
        time.sleep(0.01)
        body = {"agent_id": e["agent_id"], "region": "ap-south-1", "status": "completed", "reward": 99.5,
                "duration_ms": 10, "details": {"k": "v"}}
        r = S.req("PUT", "/api/v1/evaluations/%s" % e["id"], json_body=body, token=D())
        self.assertStatus(r, 200)
        u = self.assertJson(r)
        self.assertKeys(u, EVAL_KEYS, "EVAL after PUT")
        for k, v in body.items():
            self.assertEqual(u[k], v, "field %s after PUT" % k)
        self.assertEqual(u["id"], e["id"])
        self.assertEqual(u["created_at"], e["created_at"])
        self.assertGreaterEqual(u["updated_at"], e["updated_at"])
        self.assertEqual(S.get("/api/v1/evaluations/%s" % e["id"], token=V()).json(), u)
        # agent_id, region and status are required on PUT
        r = S.req("PUT", "/api/v1/evaluations/%s" % e["id"], json_body={"agent_id": "x", "region": "y"}, token=D())
        err = self.assertError(r, 422, "validation_failed")
        self.assertIn("status", err["message"])
        self.assertError(S.req("PUT", "/api/v1/evaluations/999999999", json_body=body, token=D()), 404, "not_found")

    def test_soft_delete(self):
        agent = H.unique("agent")
        e = self.create(agent_id=agent).json()
        keep = self.create(agent_id=agent).json()
        r = S.req("DELETE", "/api/v1/evaluations/%s" % e["id"], token=D())
        self.assertStatus(r, 200)
        d = self.assertJson(r)
        self.assertKeys(d, EVAL_KEYS, "EVAL after DELETE")
        self.assertEqual(d["id"], e["id"])
        self.assertEqual(d["status"], "deleted")
        # listed only with status=deleted
        lst = S.get("/api/v1/evaluations?agent_id=" + agent, token=V()).json()
        self.assertEqual({x["id"] for x in lst["evaluations"]}, {keep["id"]})
        self.assertEqual(lst["total"], 1)
        dl = S.get("/api/v1/evaluations?status=deleted&agent_id=" + agent, token=V())
        self.assertStatus(dl, 200)
        self.assertEqual({x["id"] for x in dl.json()["evaluations"]}, {e["id"]})
        # PUT and DELETE of a deleted one: 404
        self.assertError(S.req("DELETE", "/api/v1/evaluations/%s" % e["id"], token=D()), 404, "not_found",
                         "DELETE twice")
        self.assertError(S.req("PUT", "/api/v1/evaluations/%s" % e["id"], token=D(),
                               json_body={"agent_id": agent, "region": "r", "status": "completed"}),
                         404, "not_found", "PUT after DELETE")
        self.assertError(S.req("DELETE", "/api/v1/evaluations/999999999", token=D()), 404, "not_found")
        # GET of a deleted one: the contract allows either reading; record which
        g = S.get("/api/v1/evaluations/%s" % e["id"], token=V())
        if g.status == 200:
            self.assertEqual(g.json().get("status"), "deleted", g.describe())
            H.note("GET /api/v1/evaluations/{id} of a soft-deleted evaluation -> 200 with status deleted")
        else:
            self.assertError(g, 404, "not_found")
            H.note("GET /api/v1/evaluations/{id} of a soft-deleted evaluation -> 404")


class Missions(H.ApiTestCase):

    def test_list(self):
        r = S.get("/api/v1/missions", token=V())
        self.assertStatus(r, 200)
        j = self.assertJson(r)
        self.assertKeys(j, ["missions", "total", "limit"], "missions list")
        self.assertEqual(j["limit"], 100)
        self.assertGreaterEqual(j["total"], 1, "demo seeds missions")
        for m in j["missions"]:
            self.assertKeys(m, MISSION_KEYS, "MISSION")
        r1 = S.get("/api/v1/missions?limit=1", token=V()).json()
        self.assertEqual(len(r1["missions"]), 1)
        self.assertEqual(r1["limit"], 1)
        for q in ("limit=0", "limit=1001", "limit=x", "status=bogus"):
            self.assertError(S.get("/api/v1/missions?" + q, token=V()), 400, "bad_request", q)

    def test_create_and_filter(self):
        name = H.unique("mission")
        r = S.post("/api/v1/missions", {"name": name, "status": "active", "agent_id": "policy",
                                        "details": {"goal": "x"}}, token=D())
        self.assertStatus(r, 201)
        m = self.assertJson(r)
        self.assertKeys(m, MISSION_KEYS, "MISSION")
        self.assertEqual(m["name"], name)
        self.assertEqual(m["status"], "active")
        self.assertEqual(m["agent_id"], "policy")
        self.assertEqual(m["details"], {"goal": "x"})
        loc = r.header("Location") or ""
        self.assertTrue(loc.endswith("/%s" % m["id"]) and loc.startswith("/api/v1/missions/"),
                        "Location %r" % loc)
        d = S.post("/api/v1/missions", {"name": H.unique("mission")}, token=D())
        self.assertStatus(d, 201)
        self.assertEqual(d.json()["status"], "pending")
        act = S.get("/api/v1/missions?status=active&limit=1000", token=V()).json()
        self.assertTrue(all(x["status"] == "active" for x in act["missions"]))
        self.assertIn(m["id"], [x["id"] for x in act["missions"]])
        err = self.assertError(S.post("/api/v1/missions", {"status": "active"}, token=D()), 422,
                               "validation_failed")
        self.assertIn("name", err["message"])
        err = self.assertError(S.post("/api/v1/missions", {"name": "x", "status": "bogus"}, token=D()), 422,
                               "validation_failed")
        self.assertIn("status", err["message"])


class Metrics(H.ApiTestCase):

    def test_shape(self):
        r = S.get("/api/v1/metrics", token=V())
        self.assertStatus(r, 200)
        j = self.assertJson(r)
        self.assertKeys(j, ["global_reward", "agent_rewards", "conflicts", "nash_convergence", "metric",
                            "agent_type", "values"], "/api/v1/metrics")
        self.assertKeys(j["global_reward"], ["current", "mean_100", "std_100", "trend"], "global_reward")
        self.assertKeys(j["conflicts"], ["total", "recent_10", "rate_per_step"], "conflicts")
        self.assertKeys(j["nash_convergence"], ["avg_iterations", "convergence_rate"], "nash_convergence")
        self.assertTrue(j["agent_rewards"], "agent_rewards is empty")
        for aid, ar in j["agent_rewards"].items():
            self.assertKeys(ar, ["current", "mean", "std", "min", "max"], "agent_rewards[%s]" % aid)
        self.assertEqual(j["metric"], "agent_reward")
        self.assertIsInstance(j["values"], list)
        self.assertTrue(j["values"], "values is empty on a demo server")
        for v in j["values"][:5]:
            self.assertKeys(v, ["timestamp", "value", "region", "labels"], "values[]")
            self.assertIsInstance(v["value"], (int, float))

    def test_filters(self):
        r = S.get("/api/v1/metrics?metric=agent_reward&agent_type=policy", token=V())
        self.assertStatus(r, 200)
        j = r.json()
        self.assertEqual(j["metric"], "agent_reward")
        self.assertEqual(j["agent_type"], "policy")

    def test_feature_flags(self):
        r = S.get("/api/v1/feature-flags", token=V())
        self.assertStatus(r, 200)
        self.assertEqual(self.assertJson(r), {"flags": {
            "websocket_reconnect_enabled": True, "grafana_optimization_enabled": True,
            "jaeger_tracing_enabled": True, "database_indexes_enabled": True,
            "ppo_memory_optimization_enabled": True}})

    def test_user(self):
        for role in ("viewer", "developer", "admin"):
            r = S.get("/api/v1/user", token=S.token(role))
            self.assertStatus(r, 200)
            j = self.assertJson(r)
            self.assertKeys(j, ["id", "username", "role", "roles", "auth"], "/api/v1/user")
            self.assertEqual(j["username"], role)
            self.assertEqual(j["role"], role)
            self.assertIn(role, j["roles"])
            self.assertEqual(j["auth"], "jwt")


class Prometheus(H.ApiTestCase):

    def test_metrics_text(self):
        e = S.post("/api/v1/evaluations", {"agent_id": "prom-agent", "region": "prom-region",
                                           "status": "completed", "duration_ms": 42}, token=D())
        self.assertStatus(e, 201)
        eid = str(e.json()["id"])
        self.assertStatus(S.get("/api/v1/evaluations/%s" % eid, token=V()), 200)
        self.assertStatus(S.get("/api/v1/no/such/route/12345"), 404)
        r = S.get("/metrics")
        self.assertStatus(r, 200)
        self.assertTrue((r.header("Content-Type") or "").startswith("text/plain"),
                        "Content-Type %r" % r.header("Content-Type"))
        text = r.text
        for name in ("tars_http_requests_total", "tars_http_request_duration_seconds_bucket",
                     "tars_evaluation_total", "tars_evaluation_duration_seconds", "tars_agent_reward",
                     "tars_db_query_duration_seconds", "process_resident_memory_bytes",
                     "process_cpu_seconds_total", "process_open_fds", "tars_build_info"):
            self.assertRegex(text, r"(?m)^%s(_bucket|_sum|_count)?[{ ]" % name, "metric %s missing" % name)
        self.assertRegex(text, r"(?m)^# TYPE tars_http_requests_total counter$")
        self.assertRegex(text, r"(?m)^# TYPE tars_http_request_duration_seconds histogram$")
        req_lines = [l for l in text.splitlines() if l.startswith("tars_http_requests_total{")]
        endpoints = set()
        for l in req_lines:
            m = re.search(r'endpoint="([^"]*)"', l)
            self.assertTrue(m, "tars_http_requests_total without endpoint label: " + l)
            endpoints.add(m.group(1))
            self.assertRegex(l, r'method="[A-Z]+"')
            self.assertRegex(l, r'status="\d{3}"')
        self.assertIn("/api/v1/evaluations/{id}", endpoints)
        self.assertIn("/api/v1/evaluations", endpoints)
        for ep in endpoints:
            self.assertNotIn(eid, ep.split("/"), "raw id in endpoint label %r" % ep)
            self.assertNotIn("12345", ep, "raw unmatched path in endpoint label %r" % ep)
            self.assertNotIn("?", ep, "query string in endpoint label %r" % ep)
        self.assertIn("unmatched", endpoints, "404s are not counted under endpoint=\"unmatched\"")
        self.assertRegex(text, r'(?m)^tars_http_request_duration_seconds_bucket\{[^}]*le="0\.15"[^}]*\} \d')
        self.assertRegex(text, r'(?m)^tars_evaluation_total\{[^}]*agent_id="prom-agent"[^}]*\} 1(\.0+)?$')


class TraceContext(H.ApiTestCase):

    def parse(self, r):
        tp = r.header("traceparent")
        self.assertIsNotNone(tp, "no traceparent in the response: " + r.describe())
        m = TRACEPARENT_RE.match(tp)
        self.assertTrue(m, "response traceparent %r is not 00-<32hex>-<16hex>-<2hex>" % tp)
        self.assertNotEqual(m.group(1), "0" * 32)
        self.assertNotEqual(m.group(2), "0" * 16)
        return m.group(1), m.group(2)

    def test_valid_continued(self):
        tid, sid = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
        for path, tok in (("/health", None), ("/api/v1/agents", V())):
            r = S.get(path, token=tok, headers={"traceparent": "00-%s-%s-01" % (tid, sid)})
            self.assertStatus(r, 200)
            t, s = self.parse(r)
            self.assertEqual(t, tid, "trace id not continued on " + path)
            self.assertNotEqual(s, sid, "the response must carry this server's span id, not the caller's")

    def test_none_starts_trace(self):
        t1, _ = self.parse(S.get("/health"))
        t2, _ = self.parse(S.get("/health"))
        self.assertNotEqual(t1, t2, "two requests without traceparent share a trace id")

    def test_invalid_starts_new(self):
        tid = "4bf92f3577b34da6a3ce929d0e0e4736"
        bad = [
            "ff-%s-00f067aa0ba902b7-01" % tid,                      # version ff is forbidden
            "00-%s-00f067aa0ba902b7-01" % tid.upper(),              # upper-case hex
            "00-%s-00f067aa0ba902b7-01" % ("0" * 32),               # zero trace id
            "00-%s-%s-01" % (tid, "0" * 16),                        # zero span id
            "00-%s-00f067aa0ba902b7-01" % tid[:-1],                 # short trace id
            "00-%s-00f067aa0ba902b-01" % tid,                       # short span id
            "00-%sx-00f067aa0ba902b7-01" % tid[:-1],                # non-hex
            "00-%s-00f067aa0ba902b7" % tid,                         # 3 parts
            "00-%s-00f067aa0ba902b7-1" % tid,                       # 1-char flags
            "garbage",
        ]
        for tp in bad:
            with self.subTest(traceparent=tp):
                r = S.get("/health", headers={"traceparent": tp})
                self.assertStatus(r, 200)
                t, _ = self.parse(r)
                self.assertNotEqual(t, tid, "invalid traceparent %r was continued" % tp)


class Cors(H.ApiTestCase):

    def preflight(self, origin, method="GET"):
        return S.req("OPTIONS", "/api/v1/agents", headers={
            "Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type"})

    def test_allowed_origin(self):
        for origin in (CORS_OK, CORS_OK2):
            r = self.preflight(origin)
            self.assertStatus(r, 204)
            self.assertEqual(r.header("Access-Control-Allow-Origin"), origin, r.describe())
            methods = (r.header("Access-Control-Allow-Methods") or "").upper()
            self.assertIn("GET", methods, r.describe())
            hdrs = (r.header("Access-Control-Allow-Headers") or "").lower()
            self.assertIn("authorization", hdrs, r.describe())
            self.assertIn("origin", ",".join(r.header_all("Vary")).lower(), "Vary: Origin missing")
        g = S.get("/api/v1/agents", token=V(), headers={"Origin": CORS_OK})
        self.assertStatus(g, 200)
        self.assertEqual(g.header("Access-Control-Allow-Origin"), CORS_OK, "simple request: " + g.describe())

    def test_other_origin(self):
        for origin in (CORS_BAD, "https://tars.ai.evil.example", "http://tars.ai", "null"):
            r = self.preflight(origin)
            with self.subTest(origin=origin):
                self.assertIsNone(r.header("Access-Control-Allow-Origin"),
                                  "origin %s got ACAO: %s" % (origin, r.describe()))
        g = S.get("/api/v1/agents", token=V(), headers={"Origin": CORS_BAD})
        self.assertStatus(g, 200)
        self.assertIsNone(g.header("Access-Control-Allow-Origin"))


if __name__ == "__main__":
    unittest.main()
