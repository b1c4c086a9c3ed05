/*
 * The live feed's messages in the database (db/migrations/<dialect>/004_feed.sql):
 * one sequence per channel shared by every process on the database, and the
 * most recent messages for replay.
 */
#include "store_int.h"

#include <string.h>

static int check_channel(const char *channel, struct tars_err *err)
{
    if (!channel || !*channel || strlen(channel) >= TARS_FEED_CHANNEL_MAX)
        return tars_err_set(err, TARS_EINVAL, "feed channel missing or too long");
    return TARS_OK;
}

int tars_store_feed_append(tars_store *st, const char *channel, int64_t timestamp_ms,
                           const char *payload, int64_t keep, int64_t *seq, struct tars_err *err)
{
    struct db_value p[4];
    int rc = check_channel(channel, err);

    if (!rc)
        rc = store_check_text("feed payload", payload, STORE_JSON_MAX, true, err);
    if (rc)
        return rc;
    if (keep < 1)
        keep = 1;
    p[0] = db_text(channel);
    /* The row lock taken here is held until the commit: on PostgreSQL a
     * second writer of the channel waits, so seqs commit in order. */
    rc = db_query_int(st->db,
                      "UPDATE feed_channels SET last_seq = last_seq + 1 WHERE channel = $1 "
                      "RETURNING last_seq",
                      p, 1, seq, err);
    if (rc)
        return rc;
    if (*seq <= 0) /* no row: a channel the migration did not create */
        return tars_err_set(err, TARS_EINVAL, "unknown feed channel \"%s\"", channel);
    p[1] = db_int(*seq);
    p[2] = db_int(timestamp_ms);
    p[3] = db_text(payload);
    rc = db_query(st->db,
                  "INSERT INTO feed_events (channel, seq, timestamp, payload) "
                  "VALUES ($1, $2, $3, $4)",
                  p, 4, NULL, NULL, err);
    if (rc)
        return rc;
    p[1] = db_int(*seq - keep);
    return db_query(st->db, "DELETE FROM feed_events WHERE channel = $1 AND seq <= $2", p, 2, NULL,
                    NULL, err);
}

int tars_store_feed_last(tars_store *st, const char *channel, int64_t *last, struct tars_err *err)
{
    struct db_value p[1];
    int rc = check_channel(channel, err);

    *last = 0;
    if (rc)
        return rc;
    p[0] = db_text(channel);
    return db_query_int(st->db, "SELECT last_seq FROM feed_channels WHERE channel = $1", p, 1, last,
                        err);
}

struct feed_rows {
    tars_feed_fn fn;
    void *ctx;
};

static int feed_row(void *ctx, const struct db_row *row, struct tars_err *err)
{
    struct feed_rows *f = ctx;
    const char *payload = db_get_text(row, 2);

    return store_callback_result(
        f->fn(f->ctx, db_get_int(row, 0), db_get_int(row, 1), payload ? payload : "null"), err);
}

int tars_store_feed_since(tars_store *st, const char *channel, int64_t after, int64_t limit,
                          tars_feed_fn fn, void *ctx, struct tars_err *err)
{
    struct feed_rows f = {fn, ctx};
    struct db_value p[3];
    int rc = check_channel(channel, err);

    if (rc)
        return rc;
    p[0] = db_text(channel);
    p[1] = db_int(after);
    p[2] = db_int(limit > 0 ? limit : 1);
    return db_query(st->db,
                    "SELECT seq, timestamp, payload FROM feed_events "
                    "WHERE channel = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    p, 3, feed_row, &f, err);
}
