"""Journeys (docs/load-format.md §1.8) against `tars serve --demo`: values extracted from one
response reach the next request, and the server's own counts prove it.

- the first agent's id, extracted from GET /api/v1/agents, opens GET /api/v1/agents/{id}: the
  server answered as many 200s there as the step counted, and no 404 (an invented or literal
  "${...}" id would be a 404);
- an evaluation is posted and read back by the id the server returned (JSON path and Location
  header), every read a 200;
- an extraction that finds nothing fails its step as `extract`, and the next step is never sent;
- a value an optional step did not extract fails the step that needs it as `missing`, unsent;
- `auth: login_per_user` with a data file's credentials: each user logs in as its own account
  (the server's audit log shows one successful login per account, and /api/v1/user answers
  each user with its own name);
- the rows of a data file reach the requests (the evaluations stored carry their values), and
  mode unique refuses more users than rows.
"""

import glob
import json
import os
import sys
import unittest

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "load"))

import loadlib  # noqa: E402  (tests/integration/load/loadlib.py)
from loadlib import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE, TempDir, note, run_load, settled  # noqa: E402


SCHEMA_DIR = os.path.join(HERE, "..", "..", "..", "docs", "schema")


def schema_errors(doc):
    """docs/schema/load-result.schema.json's complaints about doc (empty when valid)."""
    store = {}
    for path in glob.glob(os.path.join(SCHEMA_DIR, "*.schema.json")):
        with open(path) as f:
            s = json.load(f)
        store[s["$id"]] = s
    schema = [s for s in store.values() if s["$id"].endswith("/load-result.schema.json")][0]
    cls = jsonschema.validators.validator_for(schema)
    v = cls(schema, resolver=jsonschema.RefResolver.from_schema(schema, store=store))
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message[:200])
            for e in v.iter_errors(doc)]


class Journeys(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir(prefix="tars-journeys-it-")
        cls.server = loadlib.start_demo_server(rate_public=0)
        cls.base = "http://%s:%d" % (loadlib.HOST, cls.server.port)
        cls.env = dict(os.environ, TARS_IT_TOKEN=cls.server.token("developer"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()
        cls.tmp.close()

    def count(self, method, endpoint, status):
        return settled(lambda: loadlib.requests_total(self.server, method, endpoint, status))

    def run_scenario(self, name, tasks, users=4, duration="2s", rc=EXIT_OK,
                     auth="{mode: bearer, token_env: TARS_IT_TOKEN}", extra=""):
        text = ("name: %s\nbase_url: %s\nusers: %d\nduration: %s\nthreads: 1\n"
                "auth: %s\n%stasks:\n%s"
                % (name, self.base, users, duration, auth, extra, tasks))
        path = self.tmp.write(name + ".yaml", text)
        out = self.tmp.join(name + ".json")
        run = run_load([path, "-q"], timeout=60, env=self.env, json_path=out)
        self.assertEqual(run.rc, rc, run.describe())
        rows = {t["name"]: t for t in run.json()["tasks"]}
        return run, rows

    def test_first_agent_id_opens_the_agent(self):
        before_ok = self.count("GET", "/api/v1/agents/{id}", 200)
        before_404 = self.count("GET", "/api/v1/agents/{id}", 404)
        run, rows = self.run_scenario("agents", """\
  - name: status
    steps:
      - name: list
        path: /api/v1/agents
        expect: {status: 200}
        extract: {agent_id: "agents[0].id"}
      - name: open
        path: /api/v1/agents/${agent_id}
        expect: {status: 200, json: [id, history]}
""")
        opened = rows["status/open"]
        note("status/open: %d requests; journey rows %s" % (opened["requests"], sorted(rows)))
        self.assertEqual(sorted(rows), ["status", "status/list", "status/open"])
        self.assertEqual(rows["status"]["kind"], "journey")
        self.assertEqual(opened["kind"], "step")
        self.assertGreater(opened["requests"], 0, run.describe())
        self.assertEqual(opened["failures"], 0, run.describe())
        served = self.count("GET", "/api/v1/agents/{id}", 200) - before_ok
        self.assertEqual(self.count("GET", "/api/v1/agents/{id}", 404) - before_404, 0,
                         "the server answered 404 to an opened id: not a real agent id")
        # every request counted by the client reached the server as a 200 (users: 4 in flight)
        self.assertLessEqual(opened["requests"], served)
        self.assertLessEqual(served, opened["requests"] + 4)
        # iterations: one per completed list+open pair; total leaves the journey row out
        self.assertEqual(rows["status"]["requests"], opened["requests"])
        self.assertEqual(run.json()["total"]["requests"],
                         rows["status/list"]["requests"] + opened["requests"])
        self.assertIsNotNone(rows["status"]["latency"])

    def test_evaluation_posted_and_read_back_by_its_id(self):
        before_get = self.count("GET", "/api/v1/evaluations/{id}", 200)
        before_404 = self.count("GET", "/api/v1/evaluations/{id}", 404)
        run, rows = self.run_scenario("evals", """\
  - name: eval
    steps:
      - name: post
        method: POST
        path: /api/v1/evaluations
        body: {agent_id: "journey-${user}", region: us-east-1, reward: 2.5}
        expect: {status: 201}
        extract:
          eval_id: $.id
          location: {header: Location}
      - name: by_id
        path: /api/v1/evaluations/${eval_id}
        expect: {status: 200, json: [id, agent_id]}
        extract: {same: {regex: '"agent_id":"(journey-[0-9]+)"'}}
      - name: by_location
        path: /api/v1/evaluations/${eval_id}
        headers: {X-Seen-Location: "${location}", X-Agent: "${same}"}
        expect: {status: 200}
""")
        for step in ("eval/post", "eval/by_id", "eval/by_location"):
            self.assertEqual(rows[step]["failures"], 0, "%s\n%s" % (step, run.describe()))
        reads = rows["eval/by_id"]["requests"] + rows["eval/by_location"]["requests"]
        self.assertGreater(rows["eval/by_location"]["requests"], 0, run.describe())
        served = self.count("GET", "/api/v1/evaluations/{id}", 200) - before_get
        self.assertEqual(self.count("GET", "/api/v1/evaluations/{id}", 404) - before_404, 0)
        self.assertLessEqual(reads, served)
        self.assertLessEqual(served, reads + 4)
        self.assertEqual(rows["eval"]["failures"], 0)
        # the last posted evaluation is there under its id, with the agent the body named
        r = self.server.get("/api/v1/evaluations?limit=1", token=self.server.token("viewer"))
        self.assertEqual(r.status, 200, r.describe())
        self.assertRegex(r.json()["evaluations"][0]["agent_id"], r"^journey-[0-3]$")

    def test_missing_extraction_is_counted_and_nothing_is_sent(self):
        before = {s: self.count("GET", "/api/v1/agents/{id}", s) for s in (200, 404)}
        run, rows = self.run_scenario("missing", """\
  - name: ghost
    steps:
      - name: list
        path: /api/v1/agents
        extract: {nope: "agents[9999].id"}
      - name: open
        path: /api/v1/agents/${nope}
""", rc=EXIT_INCONCLUSIVE)  # "no request succeeded": every iteration failed
        lst, opened, row = rows["ghost/list"], rows["ghost/open"], rows["ghost"]
        self.assertGreater(lst["requests"], 0, run.describe())
        self.assertEqual(lst["failures"], lst["requests"])
        self.assertEqual(lst["errors"]["extract"], lst["requests"])
        self.assertEqual(lst["statuses"]["2xx"], lst["requests"], "the responses were 200s")
        self.assertEqual(opened["requests"], 0, "a step after a failed extraction was sent")
        self.assertEqual(row["failures"], row["requests"])
        self.assertEqual(row["errors"]["extract"], row["requests"])
        for status in (200, 404):
            self.assertEqual(self.count("GET", "/api/v1/agents/{id}", status), before[status],
                             "GET /api/v1/agents/{id} reached the server")
        # the result, journey rows and journey failure kinds included, is what the schema says
        self.assertEqual(schema_errors(run.json()), [])

    def test_value_of_a_skipped_step_is_missing_and_not_sent(self):
        before_404 = self.count("GET", "/api/v1/agents/{id}", 404)
        run, rows = self.run_scenario("optional", """\
  - name: opt
    steps:
      - name: maybe
        path: /api/v1/agents
        probability: 0.5
        extract: {agent_id: "agents[0].id"}
      - name: open
        path: /api/v1/agents/${agent_id}
        expect: {status: 200}
""")
        opened, row = rows["opt/open"], rows["opt"]
        missing = opened["errors"]["missing"]
        note("opt/open: %d requests, %d missing; maybe ran %d times"
             % (opened["requests"], missing, rows["opt/maybe"]["requests"]))
        self.assertGreater(missing, 0, run.describe())
        self.assertGreater(opened["requests"] - missing, 0, run.describe())
        self.assertEqual(opened["failures"], missing)
        # sent only in the iterations where maybe ran (a few may be cut by the run's end)
        self.assertLessEqual(opened["requests"] - missing, rows["opt/maybe"]["requests"])
        self.assertGreaterEqual(opened["requests"] - missing, rows["opt/maybe"]["requests"] - 4)
        self.assertEqual(sum(opened["statuses"].values()), opened["requests"] - missing)
        self.assertEqual(row["errors"]["missing"], missing)
        self.assertEqual(self.count("GET", "/api/v1/agents/{id}", 404), before_404)

    def test_loop_opens_each_of_the_first_agents(self):
        before = self.count("GET", "/api/v1/agents/{id}/history", 200)
        run, rows = self.run_scenario("loop", """\
  - name: each
    steps:
      - name: list
        path: /api/v1/agents
        extract: {ids: "agents[*].id"}
      - name: history
        path: /api/v1/agents/${id}/history?limit=1
        loop: {over: ids, as: id, max: 2}
        expect: {status: 200, json: [agent_id]}
""", users=2)
        hist, row = rows["each/history"], rows["each"]
        self.assertEqual(hist["failures"], 0, run.describe())
        self.assertEqual(row["failures"], 0, run.describe())
        # two agents per iteration; the run's end may cut a user's last iteration mid-loop
        self.assertGreaterEqual(hist["requests"], 2 * row["requests"], "two agents per iteration")
        self.assertLessEqual(hist["requests"], 2 * row["requests"] + 2 * 2)
        served = self.count("GET", "/api/v1/agents/{id}/history", 200) - before
        self.assertLessEqual(hist["requests"], served)
        self.assertLessEqual(served, hist["requests"] + 2)

    def test_login_per_user_with_data_rows(self):
        admin = self.server.token("admin")
        names = ["journey-login-%d" % i for i in range(3)]
        rows = ["username,password,agent"]
        for i, name in enumerate(names):
            password = "load-pass-%d-0123456789" % i
            loadlib.register_secret(password)
            r = self.server.post("/api/v1/admin/users",
                                 {"username": name, "password": password, "role": "developer"},
                                 token=admin)
            self.assertEqual(r.status, 201, r.describe())
            rows.append("%s,%s,agent-of-%s" % (name, password, name))
        self.tmp.write("users.csv", "\r\n".join(rows) + "\r\n")
        run, result = self.run_scenario("per-user", """\
  - name: me
    steps:
      - name: whoami
        path: /api/v1/user
        expect: {status: 200}
        extract: {me: username}
      - name: post
        method: POST
        path: /api/v1/evaluations
        body: {agent_id: "${agent}", region: "${me}", reward: 1}
        expect: {status: 201}
""", users=3, auth="{mode: login_per_user, username_column: username, password_column: password}",
            extra="data: {file: users.csv, mode: unique}\n")
        login = result["login"]
        self.assertEqual(login["requests"], 3, run.describe())  # one per user, each once
        self.assertEqual(login["failures"], 0, run.describe())
        self.assertEqual(result["me/post"]["failures"], 0, run.describe())
        self.assertGreater(result["me/post"]["requests"], 0, run.describe())
        # the server saw each account log in (its own subject), once
        r = self.server.get("/api/v1/admin/audit/logs?event_type=auth_success&limit=1000",
                            token=admin)
        self.assertEqual(r.status, 200, r.describe())
        logged = sorted(e["username"] for e in r.json()["events"] if e["username"] in names)
        self.assertEqual(logged, names)
        # each row's values reached the requests: the user it logged in as, and its agent
        viewer = self.server.token("viewer")
        for name in names:
            r = self.server.get("/api/v1/evaluations?agent_id=agent-of-%s&limit=1000" % name,
                                token=viewer)
            self.assertEqual(r.status, 200, r.describe())
            evals = r.json()["evaluations"]
            self.assertGreater(len(evals), 0, "no evaluation of %s's row" % name)
            self.assertEqual({e["region"] for e in evals}, {name},
                             "a request of %s's row carried another user's name" % name)

    def test_unique_rows_run_out(self):
        self.tmp.write("two.csv", "agent\na1\na2\n")
        path = self.tmp.write("few.yaml", "base_url: %s\nusers: 3\nduration: 1s\n"
                              "data: {file: two.csv, mode: unique}\n"
                              "tasks:\n  - name: j\n    steps:\n      - path: /api/v1/agents/${agent}\n"
                              % self.base)
        run = run_load([path, "-q"], timeout=30, env=self.env)
        self.assertEqual(run.rc, EXIT_USAGE, run.describe())
        self.assertIn("mode unique gives each user its own row, but 3 users need more than its 2 "
                      "rows", run.stderr)


if __name__ == "__main__":
    unittest.main()
