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

#define TARS_JSON_MAX_DEPTH 64

/* Parses one JSON value (the whole input, nothing after it). On failure
 * returns TARS_EINVAL with "line L, column C: what" in err; nesting deeper
 * than TARS_JSON_MAX_DEPTH arrays and objects is such an error, so readers
 * of the tree may recurse. Duplicate keys are rejected. */
int tars_json_parse(const char *data, size_t len, json_t **out, struct tars_err *err);

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
bool tars_json_string(json_t *obj, const char *key, bool required, size_t max_len,
                      const char **out, struct tars_field_errors *fe);
bool tars_json_number(json_t *obj, const char *key, bool required, double *out,
                      struct tars_field_errors *fe);
bool tars_json_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                   int64_t *out, struct tars_field_errors *fe);
/* An object field, returned serialised (compact) in a new heap string. */
bool tars_json_object_text(json_t *obj, const char *key, size_t max_len, char **out,
                           struct tars_field_errors *fe);

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

#endif
