/*
 * Thin helpers over jansson: parsing request bodies with positions in the
 * error, and reading typed fields while collecting every problem, so a 422
 * can name all the fields that were wrong at once.
 */
#ifndef TARS_JSON_H
#define TARS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "tars/buf.h"
#include "tars/err.h"

/* The bounds of every JSON tars reads from outside (request bodies, answers
 * of the servers it checks and loads, WebSocket messages, tokens, files of
 * earlier runs), checked in one place, before jansson sees the bytes:
 * nesting (arrays and objects) and size. A reader passes its own, smaller
 * size bound where it has one. docs/reliability.md lists them. */
#define TARS_JSON_MAX_DEPTH 64
#define TARS_JSON_MAX_BYTES ((size_t)256 << 20) /* run.json's bound; no reader takes more */

/* Parses one JSON value (the whole input, nothing after it), at most
 * max_bytes (0 or more than TARS_JSON_MAX_BYTES: TARS_JSON_MAX_BYTES) and
 * nested at most TARS_JSON_MAX_DEPTH deep, so readers of the tree may
 * recurse. flags are jansson's decoding flags (JSON_REJECT_DUPLICATES).
 * Errors: TARS_ETOOBIG "JSON of N bytes: larger than M bytes", TARS_EINVAL
 * "line L, column C: what" (nesting or syntax). */
int tars_json_parse_bounded(const char *data, size_t len, size_t max_bytes, size_t flags,
                            json_t **out, struct tars_err *err);
/* tars_json_parse_bounded with TARS_JSON_MAX_BYTES, duplicate keys rejected. */
int tars_json_parse(const char *data, size_t len, json_t **out, struct tars_err *err);
/* A regular file of at most max_bytes, read and parsed as above; errors name
 * it: "PATH: larger than M bytes", "PATH:L:C: nested deeper than 64 levels",
 * "PATH:L:C: not JSON: what", "PATH: no such file or directory". */
int tars_json_load_file(const char *path, size_t max_bytes, size_t flags, json_t **out,
                        struct tars_err *err);

/* Collected field problems: "agent_id (required)", "limit (must be 1..1000)". */
struct tars_field_errors {
    int count;
    struct tars_buf text; /* "a (required), b (must be a number)" */
};
void tars_field_errors_init(struct tars_field_errors *fe);
void tars_field_errors_release(struct tars_field_errors *fe);
void tars_field_errors_add(struct tars_field_errors *fe, const char *field, const char *why);

/* Each getter leaves *out unchanged when the field is absent and optional.
 * Returns true when a value was stored. */
bool tars_json_string(json_t *obj, const char *key, bool required, size_t max_len, const char **out,
                      struct tars_field_errors *fe);
bool tars_json_number(json_t *obj, const char *key, bool required, double *out,
                      struct tars_field_errors *fe);
bool tars_json_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                   int64_t *out, struct tars_field_errors *fe);
/* An object field, returned serialised (compact) in a new heap string. */
bool tars_json_object_text(json_t *obj, const char *key, size_t max_len, char **out,
                           struct tars_field_errors *fe);

/* ---- reading configuration: typed getters that stop at the first problem ----
 * For files people write (suites, scenarios, release configs) and files tars
 * reads back (load results). Every problem is worded one way, after where the
 * value is (the reader's `where`: "suite.yaml:12:5" from tars/yaml.h, or a
 * path such as "load result: tasks[3]"):
 *   suite.yaml:12:5: retries must be between 0 and 10
 *   suite.yaml:9:7: timeout must be a duration such as 500ms, 30s or 5m, not a list
 *   suite.yaml:7:3: unknown key "duraton" in a check (did you mean "duration"?)
 *   suite.yaml:4:3: id is required
 * A key whose value is null (YAML's `key:` with nothing after it) counts as
 * absent. An absent optional key leaves *out alone and returns TARS_OK; a
 * problem returns TARS_EINVAL with the message in rd->err. */
struct tars_json_reader {
    /* Writes where node is (node may be NULL: the document as a whole). */
    void (*where)(const void *ctx, const json_t *node, char *out, size_t size);
    const void *ctx;
    struct tars_err *err;
    /* Numbers and booleans may also be written as text ("150", "0.5",
     * "true"): what a ${VAR} substitution leaves in a check's parameters. */
    bool text_scalars;
};

enum tars_json_need { TARS_JSON_OPTIONAL, TARS_JSON_REQUIRED };

/* A reader for values with no place in a file: every message starts with
 * name ("parameters: samples must be ..."), which must outlive it. */
struct tars_json_reader tars_json_reader_named(const char *name, struct tars_err *err,
                                               bool text_scalars);

/* Sets rd->err to "<where node is>: <message>" and returns code. */
int tars_json_fail(const struct tars_json_reader *rd, const json_t *node, int code, const char *fmt,
                   ...) TARS_PRINTF(4, 5);
/* What v is, for "must be X, not <kind>": "a mapping", "a list", "a string",
 * "a number", "a boolean", "empty". */
const char *tars_json_kind(const json_t *v);

/* The value of key in obj, NULL when absent or null ("KEY is required" in
 * rd->err and *rc when need says so; *rc = TARS_OK otherwise). */
json_t *tars_json_member(const struct tars_json_reader *rd, json_t *obj, const char *key,
                         enum tars_json_need need, int *rc);

/* Values already in hand (a list item, a member read another way); `what`
 * names it in the message. A string is 1..max_len bytes without NUL. */
int tars_json_string_of(const struct tars_json_reader *rd, const json_t *v, const char *what,
                        size_t max_len, const char **out);
/* A duration: a string tars_duration_parse reads ("500ms", "30s", "1h30m";
 * a bare number is seconds) or a number of seconds (fractions allowed),
 * at least min_ms and at most TARS_DURATION_MAX_MS. */
int tars_json_duration_of(const struct tars_json_reader *rd, const json_t *v, const char *what,
                          int64_t min_ms, int64_t *out_ms);

/* A number min..max. */
int tars_json_double_of(const struct tars_json_reader *rd, const json_t *v, const char *what,
                        double min, double max, double *out);

/* One of names (NULL-terminated); *out is its index. */
int tars_json_enum_of(const struct tars_json_reader *rd, const json_t *v, const char *what,
                      const char *const *names, int *out);

/* Members of obj. String values are borrowed (valid while obj lives);
 * tars_json_get_strdup replaces *out (freeing it) with a heap copy. */
int tars_json_get_string(const struct tars_json_reader *rd, json_t *obj, const char *key,
                         enum tars_json_need need, size_t max_len, const char **out);
int tars_json_get_strdup(const struct tars_json_reader *rd, json_t *obj, const char *key,
                         enum tars_json_need need, size_t max_len, char **out);
/* A string of 0..size-1 bytes (empty allowed) copied into out[size]. */
int tars_json_get_text(const struct tars_json_reader *rd, json_t *obj, const char *key,
                       enum tars_json_need need, char *out, size_t size);
int tars_json_get_int(const struct tars_json_reader *rd, json_t *obj, const char *key,
                      enum tars_json_need need, int64_t min, int64_t max, int64_t *out);
int tars_json_get_double(const struct tars_json_reader *rd, json_t *obj, const char *key,
                         enum tars_json_need need, double min, double max, double *out);
/* A number greater than `above` and at most max ("must be greater than 0
 * and at most 1"). */
int tars_json_get_double_above(const struct tars_json_reader *rd, json_t *obj, const char *key,
                               enum tars_json_need need, double above, double max, double *out);
int tars_json_get_bool(const struct tars_json_reader *rd, json_t *obj, const char *key,
                       enum tars_json_need need, bool *out);
int tars_json_get_duration(const struct tars_json_reader *rd, json_t *obj, const char *key,
                           enum tars_json_need need, int64_t min_ms, int64_t *out_ms);
/* One of names (NULL-terminated); *out is its index. */
int tars_json_get_enum(const struct tars_json_reader *rd, json_t *obj, const char *key,
                       enum tars_json_need need, const char *const *names, int *out);
/* A list of min..max non-empty strings of at most max_len bytes; *out is
 * the list itself (borrowed). */
int tars_json_get_strings(const struct tars_json_reader *rd, json_t *obj, const char *key,
                          enum tars_json_need need, size_t min, size_t max, size_t max_len,
                          json_t **out);
/* A mapping (borrowed). */
int tars_json_get_object(const struct tars_json_reader *rd, json_t *obj, const char *key,
                         enum tars_json_need need, json_t **out);

/* obj must be a mapping whose every key is in allowed or in more (both
 * NULL-terminated, more may be NULL); `what` names it ("a check"). An
 * unknown key is pointed at with the closest allowed one, or the list of
 * them when none is close. */
int tars_json_check_keys(const struct tars_json_reader *rd, json_t *obj, const char *what,
                         const char *const *allowed, const char *const *more);

/* Serialises v compactly into b (appending). TARS_ETOOBIG past b->max. */
int tars_json_dump(json_t *v, struct tars_buf *b) TARS_MUST_CHECK;

/* Significant digits of the reals in every JSON file tars writes, unless
 * the flags give their own JSON_REAL_PRECISION: 15 is the most a double
 * holds exactly in decimal, so 44.371099 is not written 44.371099000000001
 * (jansson's default is 17). */
#define TARS_JSON_REAL_DIGITS 15

/* Writes v (json_dumpf flags) and a newline to path whole, through a
 * temporary file and a rename (tars/file.h): never half a file. */
int tars_json_write_file(const char *path, const json_t *v, size_t flags,
                         struct tars_err *err) TARS_MUST_CHECK;
/* The same to an open stream (standard output). */
int tars_json_write_stream(FILE *f, const json_t *v, size_t flags,
                           struct tars_err *err) TARS_MUST_CHECK;

/* Parses text (from our own storage) as a JSON object, or returns NULL. */
json_t *tars_json_object_from_text(const char *text);

/* The value at a path of object keys and array indexes, "a.b[0].c", with an
 * optional leading "$." (or "$"); the empty path is root itself. NULL when
 * any step is absent, names a key of a non-object or an index of a
 * non-array, or is malformed ("a..b", "a[x]", "a[-1]", a key longer than
 * TARS_JSON_PATH_MAX_KEY bytes). The result is borrowed from root. The one
 * walker of the tree: check expectations, kube object fields and load
 * `expect.json` all use it. */
#define TARS_JSON_PATH_MAX_KEY 255
json_t *tars_json_path(json_t *root, const char *path);

/* tars_json_path evaluated over the JSON text itself, without building a
 * tree (the load engine's per-response extraction). The text is checked as
 * tars_json_parse_bounded(data, len, 0, 0) checks it (jansson's grammar,
 * UTF-8, escapes, integer and real range, TARS_JSON_MAX_DEPTH, the last of
 * duplicate keys wins), so the outcome is the tree's:
 *   TARS_JSON_SCAN_FOUND    *out is the value: a string's bytes between its
 *                           quotes, any other value's text as written;
 *   TARS_JSON_SCAN_ABSENT   valid JSON, tars_json_path gives NULL;
 *   TARS_JSON_SCAN_INVALID  the tree parse fails;
 *   TARS_JSON_SCAN_UNSUPPORTED  no answer, use the tree: the found string has
 *                           a backslash escape, a key of an object on the
 *                           path has one, a number is 64 bytes or longer, or
 *                           a NUL byte follows a number or a literal. */
enum tars_json_scan_rc {
    TARS_JSON_SCAN_FOUND,
    TARS_JSON_SCAN_ABSENT,
    TARS_JSON_SCAN_INVALID,
    TARS_JSON_SCAN_UNSUPPORTED,
};
struct tars_json_span {
    const char *at;
    size_t len;
    json_type type;
};
enum tars_json_scan_rc tars_json_scan_path(const char *data, size_t len, const char *path,
                                           struct tars_json_span *out);

#endif
