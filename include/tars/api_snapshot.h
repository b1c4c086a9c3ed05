/*
 * API compatibility: a snapshot records, for every endpoint of the dashboard
 * API, the status and the JSON shape (keys and types, recursively) of its
 * answer; comparing the running service with the snapshot of the previous
 * version finds breaking changes (an endpoint gone or failing, a field
 * removed, a type changed) and lists the additions.
 *
 * Shapes: "string", "number", "boolean", "null", "text" (not JSON), "mixed";
 * an object is a JSON object of shapes; an array is [] (empty, items
 * unknown) or [shape] (the union of its elements' shapes). null is
 * compatible with every type (a nullable field is not a type change).
 *
 * Snapshot: {"format":"tars-api-snapshot/1","version","taken_at","writes",
 * "endpoints":{"GET /api/v1/agents":{"status":200,"shape":...},...}}.
 */
#ifndef TARS_API_SNAPSHOT_H
#define TARS_API_SNAPSHOT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "tars/err.h"

#define TARS_API_SNAPSHOT_FORMAT "tars-api-snapshot/1"

/* The shape of v (a new reference). */
json_t *tars_api_shape(json_t *v);

/* Merges shape b into the union a (both borrowed; a new reference). */
json_t *tars_api_shape_union(json_t *a, json_t *b);

/* Checks a snapshot read from outside (a baseline file) before it is
 * compared: every endpoint has a status from 100 to 599 and a well-formed
 * shape, nested at most 33 levels. TARS_EINVAL/TARS_ETOOBIG naming the
 * endpoint and the path inside its shape. */
int tars_api_snapshot_check(json_t *snapshot, struct tars_err *err) TARS_MUST_CHECK;

/* Compares snapshots: {"breaking":[text...],"additions":[text...],
 * "unverified":[text...],"endpoints":n} (a new reference). Write endpoints
 * of the old snapshot are "unverified" when the new one was taken without
 * writes. */
json_t *tars_api_compare(json_t *old_snapshot, json_t *new_snapshot);

struct tars_api_snapshot_options {
    const char *base_url;
    const char *token; /* a bearer token (any role; admin endpoints need admin), or NULL */
    bool writes;       /* also POST, PUT and DELETE an evaluation (it is soft-deleted) */
    bool insecure;
    int64_t timeout_ms; /* per request, default 10 s */
};

/* Takes a snapshot of a running service. */
int tars_api_snapshot_take(const struct tars_api_snapshot_options *o, json_t **out,
                           struct tars_err *err);

#endif
