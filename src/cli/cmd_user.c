/* tars user add NAME --role ROLE: creates a user of `tars serve`. The
 * password comes from standard input or TARS_USER_PASSWORD, never argv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "tars/auth.h"
#include "tars/store.h"
#include "tars/str.h"

#define PASSWORD_MIN 12

static struct {
    const char *role, *db, *data_dir;
} uo;

static const char *const roles[] = {"viewer", "developer", "admin", NULL};

static const struct cli_opt user_table[] = {
    CLI_ENUM(0, "role", "ROLE", &uo.role, roles, "the new user's role (required)"),
    CLI_ENV_OPT(CLI_OPT_STRING, "db", "URL", &uo.db, 0, 0, NULL, "TARS_DB",
                "sqlite:PATH or postgres://..."),
    CLI_ENV_OPT(CLI_OPT_STRING, "data-dir", "DIR", &uo.data_dir, 0, 0, NULL, "TARS_DATA_DIR",
                "without --db: sqlite:DIR/tars.db (default ./tars-data)"),
    CLI_OPT_END_MARK,
};

#define STR_(x) #x
#define STR(x) STR_(x)

const struct cli_spec cli_user_spec = {
    .name = "user",
    .synopsis = "tars user add NAME --role viewer|developer|admin [--db URL] [--data-dir DIR]",
    .about = "Creates a user of `tars serve`. The password is the first line of standard input,\n"
             "or TARS_USER_PASSWORD; it is never taken from the command line. At least " STR(
                 PASSWORD_MIN) " characters.",
    .opts = user_table,
    .exits = "0 created, 1 the name is taken, 2 the database failed, 3 bad usage (an unknown\n"
             "role or option, a password missing or shorter than 12 characters)",
};

static int read_password(char *out, size_t size)
{
    const char *env = getenv("TARS_USER_PASSWORD");
    size_t n;

    if (env && *env) {
        if (tars_strlcpy(out, env, size) >= size)
            return -1;
        return 0;
    }
    if (!fgets(out, (int)size, stdin))
        return -1;
    n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return 0;
}

static int add_user(const char *db, const char *name, const char *role, const char *password)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_user u;
    tars_store *st = tars_store_open(db, &err);
    int rc;

    if (!st) {
        fprintf(stderr, "tars user: %s\n", err.msg);
        return EXIT_INCONCLUSIVE;
    }
    memset(&u, 0, sizeof(u));
    tars_strlcpy(u.username, name, sizeof(u.username));
    tars_strlcpy(u.role, role, sizeof(u.role));
    rc = tars_store_migrate(st, NULL, &err);
    if (rc == 0)
        rc = tars_password_hash(password, u.password_hash, sizeof(u.password_hash), &err);
    if (rc == 0)
        rc = tars_store_user_add(st, &u, &err);
    tars_store_close(st);
    if (rc == TARS_ECONFLICT) {
        fprintf(stderr, "tars user: user \"%s\" already exists\n", name);
        return EXIT_FAILED;
    }
    if (rc) {
        fprintf(stderr, "tars user: %s\n", err.msg);
        return EXIT_INCONCLUSIVE;
    }
    printf("created user \"%s\" (%s)\n", name, role);
    return EXIT_OK;
}

int cmd_user(int argc, char **argv)
{
    const char *role, *db, *data_dir;
    char password[1025], db_buf[4096];
    enum tars_role parsed;
    int n, rc;

    memset(&uo, 0, sizeof(uo));
    uo.data_dir = "./tars-data";
    rc = cli_opt_parse(&cli_user_spec, argc, argv, &n);
    if (rc)
        return cli_opt_exit(rc);
    role = uo.role;
    db = uo.db;
    data_dir = uo.data_dir;
    if (n != 2 || strcmp(argv[1], "add") != 0)
        return cli_usage_error("user", "expected: add NAME --role ROLE");
    if (!role || tars_role_parse(role, &parsed))
        return cli_usage_error("user", "--role must be viewer, developer or admin");
    if (strlen(argv[2]) == 0 || strlen(argv[2]) >= TARS_NAME_MAX)
        return cli_usage_error("user", "the user name must be 1..%d characters", TARS_NAME_MAX - 1);
    if (!db) {
        snprintf(db_buf, sizeof(db_buf), "sqlite:%s/tars.db", data_dir);
        db = db_buf;
    }
    if (read_password(password, sizeof(password)) || strlen(password) < PASSWORD_MIN) {
        explicit_bzero(password, sizeof(password));
        return cli_usage_error("user",
                               "a password of at least %d characters is needed on standard "
                               "input or in TARS_USER_PASSWORD",
                               PASSWORD_MIN);
    }
    rc = add_user(db, argv[2], role, password);
    explicit_bzero(password, sizeof(password));
    return rc;
}
