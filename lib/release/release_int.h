/* Internals of lib/release's pipeline (release*.c); not a public header. */
#ifndef TARS_RELEASE_INT_H
#define TARS_RELEASE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tars/proc.h"
#include "tars/release.h"

/* ---- child processes: tars/proc.h, every step with own_group set (a
 * timeout or an interrupt sends SIGINT to the group, so tars children
 * finish with partial results; SIGKILL after the grace period) ---- */

/* true when name is an executable found on PATH. */
bool release_have_tool(const char *name);

/* ---- text (release_text.c) ---- */

/* Expands ${version}, ${base_url}, ${environment}, ${namespace}, ${run_dir},
 * ${canary_weight}, ${artifacts_dir}, ${tars} (this binary) and ${ws_url}
 * (base_url as ws:// or wss://) in text; any other ${...} is kept for the
 * shell. A new string. */
struct release_vars {
    const char *version, *base_url, *environment, *namespace_, *run_dir, *artifacts_dir, *tars;
    int canary_weight;
};
char *release_expand(const char *text, const struct release_vars *v);

/* ---- the zero-downtime prober (release_probe.c) ---- */

#define RELEASE_PROBE_MAX_TARGETS 8
struct release_probe;

/* Starts GETs of base_url + each path at rate per second (per path), from
 * source (a local address, or NULL) until release_probe_stop. */
struct release_probe *release_probe_start(const char *base_url, char *const *paths, size_t count,
                                          double rate, const char *source, struct tars_err *err);

/* Stops and frees; *summary (when non-NULL) gets {"started_at","duration_s",
 * "rate_per_target","requests","failed","longest_gap_ms","targets":[{"path",
 * "requests","failed","longest_gap_ms","errors":[{"at_s","error"}]}]}. */
void release_probe_stop(struct release_probe *pr, json_t **summary);

/* ---- notifications (release_notify.c) ---- */

enum release_message { RELEASE_MSG_START, RELEASE_MSG_ROLLBACK, RELEASE_MSG_SUCCESS };

/* The Slack payload of the original pipeline for one message (a new object). */
json_t *release_slack_payload(const struct tars_release_config *c, enum release_message m,
                              const char *git_sha, const char *branch);

/* POSTs payload (JSON) to url; 0 or an error naming the host, never the URL. */
int release_post_json(const char *url, const char *bearer, json_t *payload, struct tars_err *err);

#endif
