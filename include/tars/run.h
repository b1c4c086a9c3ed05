/*
 * Run directories (docs/run-format.md): everything a run measured, in one
 * directory that later commands (report, compare) read offline.
 *
 *   runs/<YYYYmmddTHHMMSSZ>-<version>/
 *     run.json            every fact, machine-readable (format "tars-run/1")
 *     checks.json, checks.junit.xml, load.json, ws.json, db.json, ...
 *
 * run.json is a JSON object. Commands add to it with tars_run_put (one
 * top-level key, replaced) or tars_run_append (one element of a top-level
 * array). Every update holds an exclusive flock(2) on DIR/.lock and replaces
 * run.json by rename(2), so concurrent writers never lose each other's data
 * and a crash never leaves half a file.
 *
 * Created by tars_run_open(create=true): {"format","tars":{"version",
 * "git_sha"},"machine":{"hostname","cpus","kernel","memory_bytes"},
 * "started_at"}. Commands then add their own sections: "checks" (validate),
 * "loads" (array, load), "ws" (array, ws-stress), "db" (array, db-bench),
 * "artifacts", "stages", "decisions", "release" ({"version","git_sha",
 * "environment"}), "ended_at".
 */
#ifndef TARS_RUN_H
#define TARS_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "tars/err.h"
#include "tars/judge.h"

#define TARS_RUN_FORMAT "tars-run/1"
#define TARS_RUN_FILE "run.json"
#define TARS_RUN_MAX_BYTES (256u * 1024 * 1024) /* run.json larger than this is refused */

/* Makes sure DIR is a run directory. With create, makes DIR (and its parent,
 * one level) and a fresh run.json when absent; without, DIR/run.json must
 * exist and parse. */
int tars_run_open(const char *dir, bool create, struct tars_err *err);

/* Sets run.json[key] = value (borrowed; copied). */
int tars_run_put(const char *dir, const char *key, json_t *value, struct tars_err *err);

/* Appends value (borrowed; copied) to the array run.json[key], creating it. */
int tars_run_append(const char *dir, const char *key, json_t *value, struct tars_err *err);

/* Reads run.json; a new reference, or NULL with err set. */
json_t *tars_run_load(const char *dir, struct tars_err *err);

/* Writes DIR/name from json (indented, atomically by rename). */
int tars_run_write_json(const char *dir, const char *name, json_t *value, struct tars_err *err);

/* out = DIR/name; TARS_ETOOBIG when it does not fit. */
int tars_run_path(const char *dir, const char *name, char *out, size_t cap, struct tars_err *err);

/* A default directory name under parent: "<parent>/<YYYYmmddTHHMMSSZ>-<version>"
 * for the current UTC time ("dev" when version is NULL or empty). */
int tars_run_default_dir(const char *parent, const char *version, char *out, size_t cap,
                         struct tars_err *err);

/* Records every regular file directly in artifacts_dir (hidden ones aside, at most
 * TARS_RUN_MAX_ARTIFACTS, by name) as run.json "artifacts": [{"name","size","sha256","path"}],
 * path relative to the run directory when inside it. The file set is read back, not listed
 * from what the writer meant to write. */
#define TARS_RUN_MAX_ARTIFACTS 64
int tars_run_record_artifacts(const char *dir, const char *artifacts_dir, struct tars_err *err);

/* A recorded threshold's measured value, {"text","passed","measured","limit","unit"},
 * in words: "212.4 ms", "0.50 %", "480.1 req/s", "3"; "n/a (nothing to measure)"
 * when measured is null. Records without "unit" are read by the threshold's name. */
void tars_run_threshold_measured(const json_t *threshold, char *out, size_t cap);

/* Why a recorded threshold has no outcome: its "missing" text, or a sentence saying what the
 * record lacks (a string with the threshold's lifetime, or static). */
const char *tars_run_threshold_missing(const json_t *threshold);

/* How a recorded threshold came out. Without a measured number it is TARS_JUDGE_NO_DATA
 * whatever else it says (no data is never a pass, nor a silent fail); with one,
 * "outcome":"pass" (or "passed":true in records without "outcome") is TARS_JUDGE_PASS,
 * "fail" (or "passed":false) TARS_JUDGE_FAIL, anything else ("no_data", an unknown
 * outcome, no "passed") TARS_JUDGE_NO_DATA. */
enum tars_judgement tars_run_threshold_outcome(const json_t *threshold);

#endif
