/* The WebSocket hub: sequence numbers, the replay ring, resume and resync,
 * and fan-out order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_int.h"

struct sink {
    struct ws_msg *got[64];
    size_t count;
};

static void collect(void *target, struct ws_msg *m)
{
    struct sink *s = target;
    if (s->count < 64)
        s->got[s->count++] = m;
    else
        ws_msg_unref(m);
}

static void sink_release(struct sink *s)
{
    for (size_t i = 0; i < s->count; i++)
        ws_msg_unref(s->got[i]);
    s->count = 0;
}

static void release_all(struct ws_msg **m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ws_msg_unref(m[i]);
}

static void test_channels(void **state)
{
    (void)state;
    assert_int_equal(ws_channel_parse("evaluation.updates", 18), WS_CH_EVALUATIONS);
    assert_int_equal(ws_channel_parse("agent.status", 12), WS_CH_AGENTS);
    assert_int_equal(ws_channel_parse("metrics", 7), WS_CH_METRICS);
    assert_int_equal(ws_channel_parse("metric", 6), -1);
    assert_int_equal(ws_channel_parse("metricsX", 8), -1);
    assert_string_equal(ws_channel_name(WS_CH_AGENTS), "agent.status");
}

static void test_publish_sequences_and_envelope(void **state)
{
    struct ws_hub *h = ws_hub_new(4);
    struct sink a = {0}, b = {0};
    int sa = ws_hub_attach(h, collect, &a), sb = ws_hub_attach(h, collect, &b);

    (void)state;
    assert_true(sa >= 0 && sb >= 0 && sa != sb);
    assert_int_equal(ws_hub_publish(h, WS_CH_EVALUATIONS, "{\"x\":1}", 7, 1700000000123), 1);
    assert_int_equal(ws_hub_publish(h, WS_CH_EVALUATIONS, "{\"x\":2}", 7, 1700000000124), 2);
    assert_int_equal(ws_hub_publish(h, WS_CH_METRICS, "{}", 2, 5), 1); /* per channel */
    assert_int_equal(a.count, 3);
    assert_int_equal(b.count, 3);
    assert_ptr_equal(a.got[0], b.got[0]); /* serialised once, shared */
    assert_string_equal(a.got[0]->text,
                        "{\"type\":\"message\",\"channel\":\"evaluation.updates\",\"seq\":1,"
                        "\"timestamp\":1700000000123,\"payload\":{\"x\":1}}");
    assert_int_equal(a.got[0]->len, strlen(a.got[0]->text));
    assert_int_equal(a.got[1]->seq, 2);
    assert_int_equal(a.got[2]->channel, WS_CH_METRICS);
    ws_hub_detach(h, sb);
    ws_hub_publish(h, WS_CH_EVALUATIONS, "1", 1, 6);
    assert_int_equal(a.count, 4);
    assert_int_equal(b.count, 3);
    sink_release(&a);
    sink_release(&b);
    ws_hub_free(h);
}

static void test_resume_replays_the_gap(void **state)
{
    struct ws_hub *h = ws_hub_new(4);
    struct ws_msg *out[8];
    struct ws_resume res;

    (void)state;
    for (int i = 0; i < 3; i++)
        ws_hub_publish(h, WS_CH_EVALUATIONS, "1", 1, i);
    ws_hub_resume(h, WS_CH_EVALUATIONS, 1, 1, out, 8, &res);
    assert_int_equal(res.last_seq, 3);
    assert_int_equal(res.oldest_seq, 1);
    assert_false(res.resync);
    assert_int_equal(res.count, 2);
    assert_int_equal(out[0]->seq, 2);
    assert_int_equal(out[1]->seq, 3);
    release_all(out, res.count);
    ws_hub_resume(h, WS_CH_EVALUATIONS, 1, 3, out, 8, &res); /* up to date */
    assert_int_equal(res.count, 0);
    assert_false(res.resync);
    ws_hub_resume(h, WS_CH_EVALUATIONS, 0, 0, out, 8, &res); /* no since_seq: nothing */
    assert_int_equal(res.count, 0);
    assert_int_equal(res.last_seq, 3);
    ws_hub_free(h);
}

static void test_ring_overflow_asks_for_resync(void **state)
{
    struct ws_hub *h = ws_hub_new(4);
    struct ws_msg *out[8];
    struct ws_resume res;

    (void)state;
    for (int i = 0; i < 10; i++) /* keeps 7..10 */
        ws_hub_publish(h, WS_CH_EVALUATIONS, "1", 1, i);
    ws_hub_resume(h, WS_CH_EVALUATIONS, 1, 6, out, 8, &res); /* 7.. still there */
    assert_false(res.resync);
    assert_int_equal(res.count, 4);
    assert_int_equal(out[0]->seq, 7);
    assert_int_equal(out[3]->seq, 10);
    release_all(out, res.count);
    ws_hub_resume(h, WS_CH_EVALUATIONS, 1, 5, out, 8, &res); /* 6 is gone */
    assert_true(res.resync);
    assert_int_equal(res.count, 0);
    assert_int_equal(res.oldest_seq, 7);
    assert_int_equal(res.last_seq, 10);
    ws_hub_resume(h, WS_CH_EVALUATIONS, 1, 11, out, 8, &res); /* never issued */
    assert_true(res.resync);
    ws_hub_resume(h, WS_CH_AGENTS, 1, 0, out, 8, &res); /* empty channel, up to date */
    assert_false(res.resync);
    assert_int_equal(res.last_seq, 0);
    ws_hub_free(h);
}

static void test_resume_respects_max(void **state)
{
    struct ws_hub *h = ws_hub_new(16);
    struct ws_msg *out[3];
    struct ws_resume res;

    (void)state;
    for (int i = 0; i < 10; i++)
        ws_hub_publish(h, WS_CH_METRICS, "1", 1, i);
    ws_hub_resume(h, WS_CH_METRICS, 1, 0, out, 3, &res);
    assert_int_equal(res.count, 3);
    assert_int_equal(out[2]->seq, 3);
    release_all(out, res.count);
    ws_hub_free(h);
}

/* Seqs given out by the database: a process may start in the middle of a
 * channel, sees some seqs twice (its own commit and a poll) and may miss
 * trimmed ones; the ring must stay oldest..last without holes. */
static void test_deliver_database_seqs(void **state)
{
    struct ws_hub *h = ws_hub_new(8);
    struct ws_msg *out[8];
    struct ws_resume res;
    struct sink a = {0};
    int sa = ws_hub_attach(h, collect, &a);

    (void)state;
    assert_true(ws_hub_deliver(h, WS_CH_EVALUATIONS, 41, 1, "{}", 2)); /* a start at 41 */
    assert_true(ws_hub_deliver(h, WS_CH_EVALUATIONS, 42, 2, "{}", 2));
    assert_false(ws_hub_deliver(h, WS_CH_EVALUATIONS, 42, 2, "{}", 2)); /* seen: ignored */
    assert_false(ws_hub_deliver(h, WS_CH_EVALUATIONS, 7, 2, "{}", 2));
    assert_int_equal(a.count, 2);
    assert_int_equal(ws_hub_last_seq(h, WS_CH_EVALUATIONS), 42);
    ws_hub_resume(h, WS_CH_EVALUATIONS, 1, 41, out, 8, &res); /* 42 replayed */
    assert_int_equal(res.resync, 0);
    assert_int_equal(res.count, 1);
    assert_int_equal(out[0]->seq, 42);
    release_all(out, res.count);
    assert_true(ws_hub_deliver(h, WS_CH_EVALUATIONS, 50, 3, "{}", 2)); /* 43..49 trimmed */
    ws_hub_resume(h, WS_CH_EVALUATIONS, 1, 42, out, 8, &res);
    assert_int_equal(res.resync, 1); /* not a replay with a hole in it */
    assert_int_equal(res.oldest_seq, 50);
    ws_hub_resume(h, WS_CH_EVALUATIONS, 1, 60, out, 8, &res);
    assert_int_equal(res.resync, 1);
    assert_int_equal(res.ahead, 1); /* the caller asks the database */
    assert_int_equal(ws_hub_publish(h, WS_CH_EVALUATIONS, "{}", 2, 4), 51);
    ws_hub_detach(h, sa);
    sink_release(&a);
    ws_hub_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_publish_sequences_and_envelope),
        cmocka_unit_test(test_resume_replays_the_gap),
        cmocka_unit_test(test_ring_overflow_asks_for_resync),
        cmocka_unit_test(test_resume_respects_max),
        cmocka_unit_test(test_deliver_database_seqs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
