/* Demo data for `tars serve --demo`: agents, history, missions, evaluations,
 * metric points, and three users whose random passwords are written once to
 * a credentials file (mode 0600). */
#ifndef TARS_DEMO_H
#define TARS_DEMO_H

#include "tars/err.h"
#include "tars/store.h"

/* Seeds agents and sample data when the agents table is empty. */
int tars_demo_seed_data(tars_store *st, struct tars_err *err);
/* Ensures users viewer/developer/admin exist with the passwords in
 * credentials_path, creating both users and file when the file is absent. */
int tars_demo_seed_users(tars_store *st, const char *credentials_path, struct tars_err *err);

#endif
