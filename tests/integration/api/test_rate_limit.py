"""Rate limits (docs/api.md "Rate limits"): fresh servers with the default limits, each test
its own server so that no request of another test counts. Servers are waited for with a
TCP connect only (no HTTP request spent)."""

import time
import unittest

import harness as H


def server(*extra, rate_public=None, rate_auth=None):
    s = H.Server(extra_args=list(extra), rate_public=rate_public, rate_auth=rate_auth, wait="tcp")
    s.start()
    return s


class RateLimitCase(H.ApiTestCase):
    S = None

    def tearDown(self):
        if self.S is not None:
            try:
                self.S.stop_clean(self)
            finally:
                self.S.cleanup()
                self.S = None

    def assert429(self, r, limit):
        self.assertError(r, 429, "rate_limited")
        ra = r.header("Retry-After")
        # Sliding-window counter (docs/api.md): a budget spent at the end of one
        # minute still weighs on the next, by at most 60/limit seconds.
        most = 60 + -(-60 // limit)
        self.assertTrue(ra is not None and ra.isdigit() and 1 <= int(ra) <= most,
                        "Retry-After %r is not an integer in 1..%d: %s" % (ra, most, r.describe()))
        self.assertEqual(r.header_all("X-RateLimit-Limit"), [str(limit)],
                         "X-RateLimit-Limit on the 429 (exactly one, the limit that was hit): " + r.describe())
        self.assertEqual(r.header_all("X-RateLimit-Remaining"), ["0"],
                         "X-RateLimit-Remaining on the 429 (exactly one, 0): " + r.describe())
        reset = r.header("X-RateLimit-Reset")
        self.assertTrue(reset is not None and reset.isdigit(), "X-RateLimit-Reset %r: %s" % (reset, r.describe()))


class Anonymous(RateLimitCase):

    def test_31st_anonymous_request(self):
        self.S = S = server()
        t0 = time.monotonic()
        token = S.token("viewer")                  # anonymous request 1 (POST /api/v1/auth/token)
        for i in range(2, 31):                     # requests 2..30
            r = S.get("/health")
            self.assertStatus(r, 200, "anonymous request %d of 30" % i)
            self.assertEqual(r.header("X-RateLimit-Limit"), "30", "request %d: %s" % (i, r.describe()))
            self.assertEqual(r.header("X-RateLimit-Remaining"), str(30 - i), "request %d: %s" % (i, r.describe()))
        r = S.get("/health")
        self.assertLess(time.monotonic() - t0, 50, "too slow to test a 60 s window")
        self.assert429(r, 30)
        # all endpoints together
        self.assert429(S.get("/api/v1/version"), 30)
        # authenticated requests are not limited by the anonymous limiter
        for i in range(5):
            self.assertStatus(S.get("/api/v1/agents", token=token), 200, "authenticated request %d" % i)
        self.assertStatus(S.get("/health", token=token), 200, "authenticated /health")
        g = S.get("/health", headers={"Authorization": "Bearer garbage"})
        H.note("after the anonymous limit, GET /health with an invalid bearer -> %d" % g.status)


class AuthEndpoint(RateLimitCase):

    def test_11th_token_request(self):
        self.S = S = server()
        pw = S.password("developer")
        for i in range(1, 11):
            r = S.post("/api/v1/auth/token", {"username": "developer", "password": pw})
            self.assertStatus(r, 200, "token request %d of 10" % i)
            H.register_secret((r.json() or {}).get("access_token"))
            H.register_secret((r.json() or {}).get("refresh_token"))
        r = S.post("/api/v1/auth/token", {"username": "developer", "password": pw})
        self.assert429(r, 10)
        # the public limiter is separate: 11 anonymous requests so far, well under 30
        self.assertStatus(S.get("/health"), 200, "anonymous GET after the auth limit")

    def test_wrong_passwords_count_too(self):
        self.S = S = server()
        for i in range(10):
            self.assertStatus(S.post("/api/v1/auth/token", {"username": "admin", "password": "x" * 12}), 401)
        r = S.post("/api/v1/auth/token", {"username": "admin", "password": S.password("admin")})
        self.assert429(r, 10)


class Exempt(RateLimitCase):

    def test_exempt_networks(self):
        self.S = S = server("--exempt-networks", "10.0.0.0/8,127.0.0.0/8")
        for i in range(45):
            self.assertStatus(S.get("/health"), 200, "exempt anonymous request %d" % (i + 1))
        pw = S.password("viewer")
        for i in range(15):
            r = S.post("/api/v1/auth/token", {"username": "viewer", "password": pw})
            self.assertStatus(r, 200, "exempt token request %d" % (i + 1))
            H.register_secret((r.json() or {}).get("access_token"))
            H.register_secret((r.json() or {}).get("refresh_token"))

    def test_zero_disables(self):
        self.S = S = server(rate_public=0, rate_auth=0)
        for i in range(40):
            self.assertStatus(S.get("/health"), 200, "request %d with --rate-limit-public 0" % (i + 1))
        pw = S.password("viewer")
        for i in range(12):
            r = S.post("/api/v1/auth/token", {"username": "viewer", "password": pw})
            self.assertStatus(r, 200, "token request %d with --rate-limit-auth 0" % (i + 1))
            H.register_secret((r.json() or {}).get("access_token"))
            H.register_secret((r.json() or {}).get("refresh_token"))


class PerUser(RateLimitCase):

    def test_rate_limit_user(self):
        self.S = S = server("--rate-limit-user", "5")
        v = S.token("viewer")
        d = S.token("developer")
        for i in range(5):
            self.assertStatus(S.get("/api/v1/agents", token=v), 200, "viewer request %d of 5" % (i + 1))
        self.assert429(S.get("/api/v1/agents", token=v), 5)
        # per principal: another user is not affected
        self.assertStatus(S.get("/api/v1/agents", token=d), 200, "developer after viewer was limited")


if __name__ == "__main__":
    unittest.main()
