/*
 * Data integrity across upgrades and rollbacks (lib/store/integrity.c): per
 * table a release must not lose, the rows and an order-independent checksum
 * of the columns that identify a row, over the rows inside a cutoff.
 */
#ifndef TARS_STORE_INTEGRITY_H
#define TARS_STORE_INTEGRITY_H

#include <jansson.h>

#include "tars/store.h"

#define TARS_STORE_INTEGRITY_FORMAT "tars-db-integrity/1"
/* Per protected table: rows, an order-independent checksum of its key
 * columns, and the cutoff it was taken at: {"format","taken_at","tables":
 * {NAME:{"rows","checksum","columns","cutoff"?}}}. With cutoffs_from (an
 * earlier snapshot, or NULL) only the rows inside its cutoffs are counted, so
 * rows added since do not count as a difference. */
int tars_store_integrity(tars_store *st, json_t *cutoffs_from, json_t **out, struct tars_err *err);
/* The differences between two snapshots (the second taken with the first's
 * cutoffs), as a list of texts; empty when the data is intact. */
json_t *tars_store_integrity_compare(json_t *before, json_t *after);

#endif
