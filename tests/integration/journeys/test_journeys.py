"""Journeys (docs/load-format.md §1.8) against `tars serve --demo`: values extracted from one
response reach the next request, and the server's own counts prove it.

- the first agent's id, extracted from GET /api/v1/agents, opens GET /api/v1/agents/{id}: the
  server answered as many 200s there as the step counted, and no 404 (an invented or literal
  "${...}" id would be a 404);
- an evaluation is posted and read back by the id the server returned (JSON path and Location
  header), every read a 200;
- an extraction that finds nothing fails its step as `extract`, and the next step is never sent;
- a value an optional step did not extract fails the step that needs it as `missing`, unsent.
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
from loadlib import EXIT_INCONCLUSIVE, EXIT_OK, TempDir, note, run_load, settled  # noqa: E402


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

    def run_scenario(self, name, tasks, users=4, duration="2s", rc=EXIT_OK):
        text = ("name: %s\nbase_url: %s\nusers: %d\nduration: %s\nthreads: 1\n"
                "auth: {mode: bearer, token_env: TARS_IT_TOKEN}\ntasks:\n%s"
                % (name, self.base, users, duration, tasks))
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


if __name__ == "__main__":
    unittest.main()
