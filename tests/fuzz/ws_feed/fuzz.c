/* Feed messages, both sides. The client (ws-stress) scans every server
 * message for type, channel, seq and timestamp, and checks its numbers; the
 * server reads a client's channel name and since_seq and answers a resume
 * from its replay ring. */
#include <math.h>

#include "fuzz.h"
#include "tars/ws.h"
#include "ws_int.h"

static void server_side(const uint8_t *data, size_t size)
{
    json_t *msg = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    json_t *name = json_object_get(msg, "channel"), *since = json_object_get(msg, "since_seq");
    struct ws_msg *replay[8];
    struct ws_resume res;
    struct ws_hub *hub;
    int ch;

    if (!json_is_string(name))
        goto out;
    ch = ws_channel_parse(json_string_value(name), json_string_length(name));
    if (ch < 0 || (since && !json_is_null(since) &&
                   (!json_is_integer(since) || json_integer_value(since) < 0)))
        goto out;
    hub = ws_hub_new(8);
    for (int i = 0; i < 12; i++)
        ws_hub_publish(hub, ch, "{}", 2, 1700000000000 + i);
    ws_hub_resume(hub, ch, json_is_integer(since),
                  json_is_integer(since) ? (uint64_t)json_integer_value(since) : 0, replay, 8,
                  &res);
    for (size_t i = 0; i < res.count; i++)
        ws_msg_unref(replay[i]);
    ws_hub_free(hub);
out:
    json_decref(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tars_ws_feed_msg m;
    char sub[256];

    if (tars_ws_feed_parse((const char *)data, size, &m, NULL) == TARS_OK) {
        if (m.has_seq && (m.seq < 0 || m.seq > (int64_t)TARS_WS_FEED_MAX_SEQ))
            abort(); /* the parser promised the range */
        if (m.has_timestamp && !(m.timestamp >= 0 && m.timestamp <= TARS_WS_FEED_MAX_TIMESTAMP_MS))
            abort();
        if (m.channel && m.channel_len < 100) {
            char ch[100];
            memcpy(ch, m.channel, m.channel_len);
            ch[m.channel_len] = '\0';
            (void)tars_ws_feed_subscribe(sub, sizeof(sub), ch, m.has_seq ? m.seq : -1);
        }
    }
    server_side(data, size);
    return 0;
}
