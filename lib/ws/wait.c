/* The blocking style over a non-blocking connection: poll(2) with a deadline. */
#include <errno.h>
#include <poll.h>

#include "tars/clock.h"
#include "tars/ws.h"

int tars_ws_wait(tars_ws_conn *c, uint64_t deadline_ns, struct tars_ws_event *ev,
                 struct tars_err *err)
{
    for (;;) {
        int rc = tars_ws_conn_next(c, ev, err);
        int wants = tars_ws_conn_wants(c);
        struct pollfd p = {tars_ws_conn_fd(c), 0, 0};
        uint64_t now = tars_mono_ns();

        if (rc != TARS_AGAIN)
            return rc;
        if (now >= deadline_ns)
            return tars_err_set(err, TARS_AGAIN, "timed out waiting for the websocket server");
        p.events = (short)(((wants & TARS_NET_WAIT_READ) ? POLLIN : 0) |
                           ((wants & TARS_NET_WAIT_WRITE) ? POLLOUT : 0));
        if (poll(&p, 1, (int)((deadline_ns - now + 999999) / 1000000)) < 0 && errno != EINTR)
            return tars_err_set(err, TARS_EIO, "poll failed");
    }
}

int tars_ws_flush(tars_ws_conn *c, uint64_t deadline_ns, struct tars_err *err)
{
    for (;;) {
        int rc = tars_ws_conn_flush(c, err);
        struct pollfd p = {tars_ws_conn_fd(c), POLLOUT, 0};
        uint64_t now = tars_mono_ns();

        if (rc != TARS_AGAIN)
            return rc;
        if (now >= deadline_ns)
            return tars_err_set(err, TARS_AGAIN, "timed out writing to the websocket server");
        if (poll(&p, 1, (int)((deadline_ns - now + 999999) / 1000000)) < 0 && errno != EINTR)
            return tars_err_set(err, TARS_EIO, "poll failed");
    }
}
