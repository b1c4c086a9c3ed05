"""Authentication and authorisation of `tars serve` (docs/api.md "Authentication").

The full matrix: none / viewer / developer / admin (JWT, and API keys of each role)
x every endpoint -> expected status; API keys (create, use, rotate, revoke, stored
hashed); refresh flow; crafted tokens (expired, forged, alg none, wrong key, ...);
wrong password -> 401 + audit entry without the password.
"""

import glob
import hashlib
import json
import os
import subprocess
import time
import unittest

import harness as H

S = None  # the module's server


def setUpModule():
    global S
    S = H.start_shared()


def tearDownModule():
    global S
    H.stop_shared(S)
    S = None


ROLE_RANK = {"public": 0, "viewer": 1, "developer": 2, "admin": 3}


def _new_eval(token=None):
    r = S.post("/api/v1/evaluations", {"agent_id": "policy", "region": "us-east-1",
                                       "status": "pending", "reward": 1.5},
               token=token or S.token("developer"))
    if r.status != 201:
        raise AssertionError("could not create an evaluation for the matrix: " + r.describe())
    return r.json()["id"]


def _new_key(role="viewer"):
    r = S.post("/api/v1/admin/api-keys", {"service_name": H.unique("svc"), "role": role},
               token=S.token("admin"))
    if r.status != 201:
        raise AssertionError("could not create an API key: " + r.describe())
    j = r.json()
    H.register_secret(j.get("api_key"))
    return j


def _agent_id():
    r = S.get("/api/v1/agents", token=S.token("viewer"))
    if r.status != 200:
        raise AssertionError("GET /api/v1/agents as viewer: " + r.describe())
    return r.json()["agents"][0]["id"]


def endpoints():
    """(label, min role, method, path factory, body factory, success status)."""
    aid = _agent_id()
    eid = _new_eval()
    E = []
    # public
    E.append(("GET /health", "public", "GET", lambda: "/health", None, 200))
    E.append(("GET /ready", "public", "GET", lambda: "/ready", None, 200))
    E.append(("GET /metrics", "public", "GET", lambda: "/metrics", None, 200))
    E.append(("GET /api/v1/version", "public", "GET", lambda: "/api/v1/version", None, 200))
    E.append(("POST /api/v1/auth/token", "public", "POST", lambda: "/api/v1/auth/token",
              lambda: {"username": "viewer", "password": S.password("viewer")}, 200))
    E.append(("POST /api/v1/auth/refresh", "public", "POST", lambda: "/api/v1/auth/refresh",
              lambda: {"refresh_token": S.login("viewer").json()["refresh_token"]}, 200))
    # viewer
    for p in ("/api/v1/agents", "/api/v1/agents/%s" % aid, "/api/v1/agents/%s/history?limit=5&offset=0" % aid,
              "/api/v1/evaluations", "/api/v1/evaluations?limit=5", "/api/v1/evaluations/%s" % eid,
              "/api/v1/missions", "/api/v1/metrics", "/api/v1/feature-flags", "/api/v1/user"):
        E.append(("GET " + p, "viewer", "GET", (lambda p=p: p), None, 200))
    # developer
    E.append(("POST /api/v1/evaluations", "developer", "POST", lambda: "/api/v1/evaluations",
              lambda: {"agent_id": "policy", "region": "eu-central-1", "reward": 0.5}, 201))
    E.append(("PUT /api/v1/evaluations/{id}", "developer", "PUT",
              lambda: "/api/v1/evaluations/%s" % _new_eval(),
              lambda: {"agent_id": "policy", "region": "eu-central-1", "status": "completed",
                       "reward": 2.0}, 200))
    E.append(("DELETE /api/v1/evaluations/{id}", "developer", "DELETE",
              lambda: "/api/v1/evaluations/%s" % _new_eval(), None, 200))
    E.append(("POST /api/v1/missions", "developer", "POST", lambda: "/api/v1/missions",
              lambda: {"name": H.unique("mission")}, 201))
    # admin
    E.append(("GET /api/v1/admin/users", "admin", "GET", lambda: "/api/v1/admin/users", None, 200))
    E.append(("POST /api/v1/admin/users", "admin", "POST", lambda: "/api/v1/admin/users",
              lambda: {"username": H.unique("u"), "password": "correct-horse-battery-9",
                       "role": "viewer"}, 201))
    E.append(("GET /api/v1/admin/api-keys", "admin", "GET", lambda: "/api/v1/admin/api-keys", None, 200))
    E.append(("POST /api/v1/admin/api-keys", "admin", "POST", lambda: "/api/v1/admin/api-keys",
              lambda: {"service_name": H.unique("svc"), "role": "viewer"}, 201))
    E.append(("POST /api/v1/admin/api-keys/{id}/rotate", "admin", "POST",
              lambda: "/api/v1/admin/api-keys/%s/rotate" % _new_key()["key_id"], None, 200))
    E.append(("POST /api/v1/admin/api-keys/{id}/revoke", "admin", "POST",
              lambda: "/api/v1/admin/api-keys/%s/revoke" % _new_key()["key_id"],
              lambda: {"reason": "matrix"}, 200))
    E.append(("GET /api/v1/admin/audit/logs", "admin", "GET",
              lambda: "/api/v1/admin/audit/logs?limit=10&offset=0", None, 200))
    return E


def poll_audit(path, ok, what, limit=3.0):
    """The audit trail may be written after the response (asynchronously): poll up to
    `limit` seconds, and note when the entry was not visible at once."""
    t0 = time.monotonic()
    a = S.get(path, token=S.token("admin"))
    first = a.status == 200 and ok(a)
    while not (a.status == 200 and ok(a)) and time.monotonic() - t0 < limit:
        time.sleep(0.05)
        a = S.get(path, token=S.token("admin"))
    if not first and a.status == 200 and ok(a):
        H.note("audit entry for %s visible only after %.2f s (written after the response)"
               % (what, time.monotonic() - t0))
    return a


class AuthMatrix(H.ApiTestCase):

    def _principals(self):
        P = [("none", 0, None)]
        for role in ("viewer", "developer", "admin"):
            P.append(("jwt:" + role, ROLE_RANK[role], S.token(role)))
        for role in ("viewer", "developer", "admin"):
            P.append(("api_key:" + role, ROLE_RANK[role], _new_key(role)["api_key"]))
        return P

    def test_matrix(self):
        """Every principal x every endpoint -> expected status (all cells checked, all
        mismatches reported together)."""
        failures = []
        cells = 0
        for label, need, method, path_f, body_f, ok_status in endpoints():
            for pname, rank, token in self._principals_cached():
                cells += 1
                path = path_f()
                body = body_f() if body_f else None
                r = S.req(method, path, json_body=body, token=token)
                if need == "public":
                    if r.status != ok_status:
                        failures.append("%s as %s: expected %d, got %s" % (label, pname, ok_status, r.describe(300)))
                    continue
                if token is None:
                    problems = []
                    if r.status != 401:
                        problems.append("status %d" % r.status)
                    wa = r.header("WWW-Authenticate") or ""
                    if not wa.startswith("Bearer"):
                        problems.append("WWW-Authenticate %r" % wa)
                    if r.status == 401 and r.error_code() != "unauthorized":
                        problems.append("error code %r" % r.error_code())
                    if problems:
                        failures.append("%s as none: expected 401 + WWW-Authenticate: Bearer (%s): %s"
                                        % (label, ", ".join(problems), r.describe(300)))
                elif rank < ROLE_RANK[need]:
                    if r.status != 403 or r.error_code() != "forbidden":
                        failures.append("%s as %s: expected 403 forbidden, got %s" % (label, pname, r.describe(300)))
                else:
                    if r.status != ok_status:
                        failures.append("%s as %s: expected %d, got %s" % (label, pname, ok_status, r.describe(300)))
        self.assertGreater(cells, 150)
        if failures:
            self.fail("%d of %d matrix cells wrong:\n  " % (len(failures), cells) + "\n  ".join(failures))

    _pc = None

    def _principals_cached(self):
        if AuthMatrix._pc is None:
            AuthMatrix._pc = self._principals()
        return AuthMatrix._pc

    def test_invalid_bearer_forms(self):
        """Garbage, an empty bearer, another scheme -> 401 with WWW-Authenticate: Bearer."""
        for hdr in ("Bearer", "Bearer ", "Bearer garbage", "Bearer tars_notakey0000000000000000",
                    "Basic dmlld2VyOnZpZXdlcg==", "Bearer a.b.c"):
            r = S.get("/api/v1/agents", headers={"Authorization": hdr})
            with self.subTest(authorization=hdr.split(" ")[0]):
                self.assertError(r, 401, "unauthorized")
                self.assertTrue((r.header("WWW-Authenticate") or "").startswith("Bearer"), r.describe())


class ApiKeys(H.ApiTestCase):

    def test_create_use_rotate_revoke(self):
        name = H.unique("svc-dev")
        r = S.post("/api/v1/admin/api-keys", {"service_name": name, "role": "developer",
                                              "expires_in_days": 30}, token=S.token("admin"))
        self.assertStatus(r, 201)
        j = self.assertJson(r)
        self.assertKeys(j, ["key_id", "api_key", "service_name", "role", "created_at", "expires_at",
                            "created_by", "message"], "POST /admin/api-keys response")
        key = j["api_key"]
        H.register_secret(key)
        kid = j["key_id"]
        self.assertTrue(isinstance(key, str) and key.startswith("tars_"), "api_key does not start with tars_")
        self.assertEqual(j["service_name"], name)
        self.assertEqual(j["role"], "developer")
        self.assertEqual(j["created_by"], "admin")

        # the key works as a Bearer with its role
        u = S.get("/api/v1/user", token=key)
        self.assertStatus(u, 200)
        self.assertEqual(u.json().get("auth"), "api_key", u.describe())
        self.assertEqual(u.json().get("role"), "developer", u.describe())
        self.assertStatus(S.post("/api/v1/evaluations", {"agent_id": "policy", "region": "r1"}, token=key), 201)
        self.assertError(S.get("/api/v1/admin/users", token=key), 403, "forbidden")

        # the admin list shows it, never the plain key
        lst = S.get("/api/v1/admin/api-keys", token=S.token("admin"))
        self.assertStatus(lst, 200)
        lj = self.assertJson(lst)
        self.assertKeys(lj, ["api_keys", "total"], "GET /admin/api-keys")
        self.assertTrue(key not in lst.text, "the plain API key appears in GET /admin/api-keys")
        mine = [k for k in lj["api_keys"] if k.get("key_id") == kid]
        self.assertEqual(len(mine), 1, "key %s not listed exactly once" % kid)
        self.assertKeys(mine[0], ["key_id", "service_name", "role", "created_at", "last_used",
                                  "expires_at", "is_active"], "api key entry")
        self.assertIs(mine[0]["is_active"], True)
        self.assertEqual(lj["total"], len(lj["api_keys"]))

        # stored hashed: on SQLite, the data files hold sha256:<hex> and never the key itself
        if H.backend() == "sqlite":
            blob = b""
            for f in glob.glob(os.path.join(S.data_dir, "*")):
                if os.path.isfile(f) and not f.endswith(("credentials.json", "jwt-secret")):
                    with open(f, "rb") as fh:
                        blob += fh.read()
            self.assertTrue(key.encode() not in blob, "the plain API key is stored in the data directory")
            hexd = hashlib.sha256(key.encode()).hexdigest()
            self.assertTrue(hexd.encode() in blob,
                            "sha256 hex of the key not found in the SQLite files (expected sha256:<hex>)")
        else:
            dump = H.psql_query(S.db, "SELECT key_hash FROM api_keys")
            self.assertTrue(key not in dump, "the plain API key is stored in api_keys")
            self.assertIn("sha256:" + hashlib.sha256(key.encode()).hexdigest(), dump)

        # rotate: the old key stops working, the new one works with the same role
        rr = S.post("/api/v1/admin/api-keys/%s/rotate" % kid, token=S.token("admin"))
        self.assertStatus(rr, 200)
        rj = self.assertJson(rr)
        self.assertKeys(rj, ["key_id", "new_api_key", "rotated_at", "rotated_by"], "rotate response")
        new = rj["new_api_key"]
        H.register_secret(new)
        self.assertTrue(new != key and new.startswith("tars_"), "rotated key equals the old one or lacks tars_")
        self.assertError(S.get("/api/v1/user", token=key), 401, "unauthorized", "old key after rotate")
        u2 = S.get("/api/v1/user", token=new)
        self.assertStatus(u2, 200, "new key after rotate")
        self.assertEqual(u2.json().get("role"), "developer")

        # revoke: the key stops working, the list shows it inactive
        rv = S.post("/api/v1/admin/api-keys/%s/revoke" % kid, {"reason": "test"}, token=S.token("admin"))
        self.assertStatus(rv, 200)
        vj = self.assertJson(rv)
        self.assertKeys(vj, ["success", "key_id", "revoked_at", "revoked_by", "reason"], "revoke response")
        self.assertIs(vj["success"], True)
        self.assertEqual(vj["reason"], "test")
        self.assertError(S.get("/api/v1/user", token=new), 401, "unauthorized", "key after revoke")
        lst2 = S.get("/api/v1/admin/api-keys", token=S.token("admin")).json()
        mine = [k for k in lst2["api_keys"] if k.get("key_id") == kid]
        self.assertEqual(len(mine), 1)
        self.assertIs(mine[0]["is_active"], False)

        # admin actions are audited
        def audited(a):
            actions = {(ev.get("resource_id"), ev.get("action")) for ev in (a.json() or {}).get("events", [])}
            return sum(1 for (rid, _) in actions if rid == kid) >= 3
        a = poll_audit("/api/v1/admin/audit/logs?event_type=admin_action&limit=1000", audited, "create/rotate/revoke")
        self.assertStatus(a, 200)
        self.assertTrue(audited(a), "create+rotate+revoke of %s not all audited: %s" % (kid, a.describe(3000)))
        self.assertTrue(key not in a.text and new not in a.text, "an API key appears in the audit log")

    def test_unknown_key_id(self):
        for action in ("rotate", "revoke"):
            r = S.post("/api/v1/admin/api-keys/no-such-key-%s/%s" % (H.unique("x"), action),
                       token=S.token("admin"))
            with self.subTest(action=action):
                self.assertError(r, 404, "not_found")

    def test_create_key_requires_service_name(self):
        r = S.post("/api/v1/admin/api-keys", {"role": "viewer"}, token=S.token("admin"))
        self.assertError(r, 422, "validation_failed")
        self.assertIn("service_name", r.error_message())


class Refresh(H.ApiTestCase):

    def test_refresh_flow(self):
        t = S.login("developer")
        self.assertStatus(t, 200)
        tj = self.assertJson(t)
        self.assertKeys(tj, ["access_token", "refresh_token", "token_type", "expires_in", "user"], "token response")
        self.assertEqual(tj["token_type"], "bearer")
        self.assertEqual(tj["expires_in"], 3600)
        self.assertKeys(tj["user"], ["id", "username", "role"], "token response user")
        self.assertEqual(tj["user"]["username"], "developer")
        self.assertEqual(tj["user"]["role"], "developer")

        r = S.post("/api/v1/auth/refresh", {"refresh_token": tj["refresh_token"]})
        self.assertStatus(r, 200)
        rj = self.assertJson(r)
        self.assertKeys(rj, ["access_token", "token_type", "expires_in"], "refresh response")
        H.register_secret(rj["access_token"])
        self.assertEqual(rj["token_type"], "bearer")
        self.assertEqual(rj["expires_in"], 3600)
        u = S.get("/api/v1/user", token=rj["access_token"])
        self.assertStatus(u, 200, "access token from refresh")
        self.assertEqual(u.json().get("username"), "developer")
        self.assertEqual(u.json().get("role"), "developer")
        self.assertEqual(u.json().get("auth"), "jwt")
        self.assertStatus(S.post("/api/v1/evaluations", {"agent_id": "policy", "region": "r"},
                                 token=rj["access_token"]), 201, "refreshed token keeps the role")

        # a refresh token is not an access token, and an access token does not refresh
        self.assertError(S.get("/api/v1/agents", token=tj["refresh_token"]), 401, "unauthorized",
                         "refresh token used as access token")
        self.assertError(S.post("/api/v1/auth/refresh", {"refresh_token": tj["access_token"]}),
                         401, "unauthorized", "access token used to refresh")
        self.assertError(S.post("/api/v1/auth/refresh", {"refresh_token": "garbage"}),
                         401, "unauthorized", "garbage refresh token")

    def test_claims(self):
        tj = S.tokens("admin")
        h, p, _ = H.jwt_parts(tj["access_token"])
        self.assertEqual(h.get("alg"), "HS256")
        self.assertIn("kid", h)
        self.assertKeys(p, ["sub", "user_id", "username", "role", "roles", "iat", "exp", "iss", "type"],
                        "access token claims")
        self.assertEqual(p["iss"], "tars-auth")
        self.assertEqual(p["type"], "access")
        self.assertEqual(p["role"], "admin")
        self.assertIsInstance(p["roles"], list)
        self.assertIn("admin", p["roles"])
        self.assertTrue(3500 <= p["exp"] - p["iat"] <= 3700, "access lifetime is not 60 min")
        _, rp, _ = H.jwt_parts(tj["refresh_token"])
        self.assertEqual(rp.get("type"), "refresh")
        self.assertTrue(7 * 86400 - 100 <= rp["exp"] - rp["iat"] <= 7 * 86400 + 100,
                        "refresh lifetime is not 7 days")


class CraftedTokens(H.ApiTestCase):
    """Tokens built here with the server's own secret (<data-dir>/jwt-secret)."""

    @classmethod
    def setUpClass(cls):
        cls.real = S.tokens("viewer")["access_token"]
        cls.real_refresh = S.tokens("viewer")["refresh_token"]
        cls.header, cls.claims, _ = H.jwt_parts(cls.real)
        cls.key = H.derive_jwt_key(S.jwt_secret_file(), cls.real)

    def setUp(self):
        if self.key is None:
            self.fail("cannot reproduce the server's signature from %s (raw, stripped, hex or base64): "
                      "crafted-token tests cannot run" % S.jwt_secret_file())

    def craft(self, header_changes=None, claim_changes=None, key=None, alg="HS256", base=None):
        h = dict(self.header)
        p = dict(base or self.claims)
        h.update(header_changes or {})
        for k, v in (claim_changes or {}).items():
            if v is None:
                p.pop(k, None)
            else:
                p[k] = v
        t = H.jwt_make(h, p, key if key is not None else self.key, alg=alg)
        H.register_secret(t)
        return t

    def check_401(self, token, what):
        r = S.get("/api/v1/agents", token=token)
        self.assertError(r, 401, "unauthorized", what)
        self.assertTrue((r.header("WWW-Authenticate") or "").startswith("Bearer"), what + ": " + r.describe())

    def test_control_token_accepted(self):
        """The crafting itself is right: a re-signed copy of a real token (fresh iat/exp) works."""
        now = int(time.time())
        t = self.craft(claim_changes={"iat": now, "exp": now + 600})
        self.assertStatus(S.get("/api/v1/agents", token=t), 200, "re-signed genuine claims")

    def test_expired(self):
        now = int(time.time())
        self.check_401(self.craft(claim_changes={"iat": now - 7200, "exp": now - 3600}), "expired token")
        # beyond the 30 s leeway
        self.check_401(self.craft(claim_changes={"iat": now - 3700, "exp": now - 120}), "expired 2 min ago")

    def test_expired_refresh(self):
        _, rp, _ = H.jwt_parts(self.real_refresh)
        now = int(time.time())
        t = self.craft(base=rp, claim_changes={"iat": now - 8 * 86400, "exp": now - 3600})
        self.assertError(S.post("/api/v1/auth/refresh", {"refresh_token": t}), 401, "unauthorized",
                         "expired refresh token")

    def test_forged_signature(self):
        h, p, s = self.real.split(".")
        flipped = s[:-4] + ("AAAA" if s[-4:] != "AAAA" else "BBBB")
        self.check_401(h + "." + p + "." + flipped, "signature altered")
        # payload altered (viewer -> admin) under the original signature
        p2 = dict(self.claims, role="admin", roles=["admin"])
        ps = H.b64url(json.dumps(p2, separators=(",", ":")).encode())
        forged = h + "." + ps + "." + s
        H.register_secret(forged)
        r = S.get("/api/v1/admin/users", token=forged)
        self.assertError(r, 401, "unauthorized", "payload escalated to admin under the old signature")

    def test_alg_none(self):
        self.check_401(self.craft(header_changes={"alg": "none"}, alg="none"), "alg none, empty signature")
        h, p, s = self.craft(header_changes={"alg": "none"}).split(".")
        self.check_401(h + "." + p + "." + s, "alg none header with an HS256 signature")
        self.check_401(self.craft(header_changes={"alg": "None"}, alg="none"), "alg None")

    def test_wrong_key(self):
        self.check_401(self.craft(key=os.urandom(32)), "signed with a random key")
        self.check_401(self.craft(key=b"secret"), "signed with 'secret'")

    def test_other_algorithm(self):
        self.check_401(self.craft(header_changes={"alg": "HS512"}, alg="HS512"), "HS512 with the real secret")

    def test_bad_claims(self):
        self.check_401(self.craft(claim_changes={"iss": "someone-else"}), "wrong issuer")
        self.check_401(self.craft(claim_changes={"exp": None}), "no exp")
        self.check_401(self.craft(claim_changes={"type": "refresh"}), "type refresh")


class WrongPassword(H.ApiTestCase):

    def test_wrong_password_audited(self):
        bad = "Wrong-" + os.urandom(9).hex()
        H.register_secret(bad)
        r = S.login("developer", bad)
        e1 = self.assertError(r, 401, "unauthorized", "wrong password")
        r2 = S.login("nobody-" + os.urandom(4).hex(), bad)
        e2 = self.assertError(r2, 401, "unauthorized", "unknown user")
        self.assertEqual(e1["message"], e2["message"], "wrong name and wrong password answer differently")
        self.assertTrue(bad not in r.text, "the password is echoed in the 401")

        def seen(a):
            return any(ev.get("username") == "developer" or "developer" in json.dumps(ev.get("details"))
                       for ev in (a.json() or {}).get("events", []))
        a = poll_audit("/api/v1/admin/audit/logs?event_type=auth_failure&limit=1000", seen, "wrong password")
        self.assertStatus(a, 200)
        aj = self.assertJson(a)
        self.assertKeys(aj, ["events", "total", "limit", "offset"], "audit response")
        self.assertTrue(bad not in a.text, "the wrong password appears in the audit log")
        self.assertTrue(all(ev.get("event_type") == "auth_failure" for ev in aj["events"]),
                        "event_type filter not applied")
        mine = [ev for ev in aj["events"] if ev.get("username") == "developer"
                or "developer" in json.dumps(ev.get("details"))]
        self.assertTrue(mine, "no auth_failure audit event for developer: " + a.describe())
        ev = mine[0]
        self.assertKeys(ev, ["id", "timestamp", "event_type", "user_id", "username", "action", "resource_type",
                             "resource_id", "client_ip", "success", "details"], "audit event")
        self.assertIs(ev["success"], False)
        self.assertEqual(ev["client_ip"], "127.0.0.1")
        # no password of anyone in the audit log
        full = S.get("/api/v1/admin/audit/logs?limit=1000", token=S.token("admin"))
        for user in ("viewer", "developer", "admin"):
            self.assertTrue(S.password(user) not in full.text, "a password appears in the audit log")


class DemoHint(H.ApiTestCase):

    def test_demo_prints_credentials_path_and_a_working_curl(self):
        """`tars serve --demo` says where the passwords are and how to get a token with curl;
        the command it prints works as printed, and no password is in the output."""
        raw, deadline = "", time.monotonic() + 30
        while "curl -s" not in raw and time.monotonic() < deadline:
            with open(S.log_path % S.runs, "rb") as f:
                raw = f.read().decode("utf-8", "replace")
            time.sleep(0.05)
        creds = os.path.realpath(os.path.join(S.data_dir, "credentials.json"))
        self.assertIn("passwords in %s (mode 0600)" % creds, raw, S.output_tail())
        for user in ("viewer", "developer", "admin"):
            self.assertNotIn(S.password(user), raw, "a password is in the server's output")
        line = [ln for ln in raw.splitlines() if ln.strip().startswith("curl -s")]
        self.assertEqual(len(line), 1, S.output_tail())
        self.assertIn("http://127.0.0.1:%d/api/v1/auth/token" % S.port, line[0])
        p = subprocess.run(["bash", "-c", line[0]], capture_output=True, text=True, timeout=60,
                           cwd="/")
        self.assertEqual(p.returncode, 0, H.mask(p.stderr))
        token = json.loads(p.stdout)
        self.assertEqual(token["user"]["username"], "admin", H.mask(p.stdout))
        H.register_secret(token["access_token"])
        r = S.get("/api/v1/admin/audit/logs?limit=1", token=token["access_token"])
        self.assertStatus(r, 200)


if __name__ == "__main__":
    unittest.main()
