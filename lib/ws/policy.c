/*
 * The reconnect policy of TARS-1001, pure: backoff delays, the single
 * reconnect loop, the heartbeat watch. Times are the caller's milliseconds
 * and randomness is the caller's, so tests drive them exactly.
 */
#include "tars/ws.h"

int64_t tars_ws_backoff_delay(const struct tars_ws_backoff *b, int64_t attempt, double random01)
{
    int64_t delay = b->initial_ms > 0 ? b->initial_ms : 0;

    for (int64_t i = 1; i < attempt && delay < b->max_ms; i++)
        delay *= 2;
    if (delay > b->max_ms)
        delay = b->max_ms;
    if (b->jitter) {
        if (!(random01 >= 0) || random01 >= 1)
            random01 = 0.5;
        delay = (int64_t)((double)delay * (0.5 + random01));
    }
    return delay;
}

void tars_ws_reconnect_init(struct tars_ws_reconnect *r, const struct tars_ws_backoff *policy)
{
    static const struct tars_ws_backoff defaults = TARS_WS_BACKOFF_DEFAULT;

    r->policy = policy ? *policy : defaults;
    r->state = TARS_WS_RC_IDLE;
    r->attempt = 0;
    r->due_ms = 0;
    r->loops_started = 0;
}

static void schedule(struct tars_ws_reconnect *r, int64_t now_ms, double random01)
{
    if (r->policy.max_attempts > 0 && r->attempt >= r->policy.max_attempts) {
        r->state = TARS_WS_RC_GAVE_UP;
        return;
    }
    r->attempt++;
    r->due_ms = now_ms + tars_ws_backoff_delay(&r->policy, r->attempt, random01);
    r->state = TARS_WS_RC_WAITING;
}

bool tars_ws_reconnect_request(struct tars_ws_reconnect *r, int64_t now_ms, double random01)
{
    if (r->state == TARS_WS_RC_WAITING || r->state == TARS_WS_RC_CONNECTING ||
        r->state == TARS_WS_RC_CLOSED || r->state == TARS_WS_RC_GAVE_UP)
        return false;
    r->loops_started++;
    schedule(r, now_ms, random01);
    return true;
}

bool tars_ws_reconnect_due(struct tars_ws_reconnect *r, int64_t now_ms)
{
    if (r->state != TARS_WS_RC_WAITING || now_ms < r->due_ms)
        return false;
    r->state = TARS_WS_RC_CONNECTING;
    return true;
}

void tars_ws_reconnect_failed(struct tars_ws_reconnect *r, int64_t now_ms, double random01)
{
    if (r->state == TARS_WS_RC_CONNECTING)
        schedule(r, now_ms, random01);
}

void tars_ws_reconnect_succeeded(struct tars_ws_reconnect *r)
{
    if (r->state == TARS_WS_RC_CLOSED)
        return;
    r->state = TARS_WS_RC_CONNECTED;
    r->attempt = 0;
}

void tars_ws_reconnect_close(struct tars_ws_reconnect *r)
{
    r->state = TARS_WS_RC_CLOSED;
}

void tars_ws_heartbeat_seen(struct tars_ws_heartbeat *h, int64_t now_ms)
{
    h->last_seen_ms = now_ms;
}

int64_t tars_ws_heartbeat_missed(const struct tars_ws_heartbeat *h, int64_t now_ms)
{
    int64_t first = h->last_seen_ms + h->interval_ms + h->timeout_ms;

    if (h->interval_ms <= 0 || now_ms < first)
        return 0;
    return 1 + (now_ms - first) / h->interval_ms;
}

bool tars_ws_heartbeat_expired(const struct tars_ws_heartbeat *h, int64_t now_ms)
{
    return h->max_missed > 0 && tars_ws_heartbeat_missed(h, now_ms) >= h->max_missed;
}
