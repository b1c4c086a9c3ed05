/*
 * YAML configuration files (suites, scenarios) read into a jansson tree,
 * with the file:line:col of every node kept aside so that whoever checks the
 * tree can point at the offending spot: `suite.yaml:12:5: unknown check type
 * "htp"`. Only this module knows libyaml (its event parser; the tree is
 * built here). docs/reliability.md says why libyaml and not libfyaml.
 *
 * Scalars follow the YAML 1.2 core schema: plain true/false → boolean,
 * null/~/empty → null, integers and floats → numbers, everything else (and
 * every quoted scalar) → string. Aliases are expanded; the total number of
 * nodes after expansion is bounded (TARS_YAML_MAX_NODES), so an alias bomb
 * fails instead of eating memory; so are the nesting (TARS_YAML_MAX_DEPTH) and
 * the size. Duplicate keys are errors. Only one document per file. Invalid
 * UTF-8 is an error at its line:col. A collection is placed where its key
 * is, or, as an item of a list, where it starts.
 */
#ifndef TARS_YAML_H
#define TARS_YAML_H

#include <stddef.h>

#include <jansson.h>

#include "tars/err.h"
#include "tars/json.h"

#define TARS_YAML_MAX_BYTES (4 * 1024 * 1024)
#define TARS_YAML_MAX_NODES 200000 /* after alias expansion */
#define TARS_YAML_MAX_DEPTH 64     /* nested collections */

typedef struct tars_yaml_doc tars_yaml_doc;

/* Loads path. TARS_EINVAL with "path:line:col: what" for bad YAML, TARS_EIO
 * when unreadable, TARS_ETOOBIG past the bounds. */
tars_yaml_doc *tars_yaml_load_file(const char *path, struct tars_err *err);
/* Same for text in memory; name is used in messages. */
tars_yaml_doc *tars_yaml_load_string(const char *name, const char *text, size_t len,
                                     struct tars_err *err);
void tars_yaml_free(tars_yaml_doc *doc);

/* The root value (borrowed; valid until tars_yaml_free). */
json_t *tars_yaml_root(const tars_yaml_doc *doc);

/* "name:line:col" of node (1-based), or just "name" when unknown. */
void tars_yaml_where(const tars_yaml_doc *doc, const json_t *node, char *out, size_t size);

/* A reader for the typed getters of tars/json.h whose messages start with
 * "name:line:col" (valid while doc lives). */
struct tars_json_reader tars_yaml_reader(const tars_yaml_doc *doc, struct tars_err *err);

/* Sets err to "name:line:col: <message>" and returns code. */
int tars_yaml_error(const tars_yaml_doc *doc, const json_t *node, struct tars_err *err, int code,
                    const char *fmt, ...) TARS_PRINTF(5, 6);

#endif
