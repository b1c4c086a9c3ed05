/* tars signoff: sign a run's evidence for a role, or list every role's state (docs/signoff.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "signoff_output.h"
#include "tars/clock.h"
#include "tars/signoff.h"

struct signoff_opts {
    const char *dir, *role, *reason, *key, *identity, *allowed, *roles;
    int approve, reject, list, json;
};

static struct signoff_opts sg;

static const struct cli_opt signoff_table[] = {
    CLI_STRING(0, "role", "ROLE", &sg.role, "e.g. \"QA Lead\""),
    CLI_FLAG(0, "approve", &sg.approve, "the decision: approve"),
    CLI_FLAG(0, "reject", &sg.reject, "the decision: reject; a rejection needs --reason"),
    CLI_STRING(0, "reason", "TEXT", &sg.reason, "one line, shown in the report"),
    CLI_ENV_OPT(CLI_OPT_STRING, "key", "FILE", &sg.key, 0, 0, NULL, "TARS_SIGNING_KEY",
                "your key for ssh-keygen -f"),
    CLI_ENV_OPT(CLI_OPT_STRING, "identity", "ID", &sg.identity, 0, 0, NULL, "TARS_SIGNER",
                "you, as allowed_signers names you"),
    CLI_FLAG(0, "list", &sg.list, "each role: approved, rejected, missing or invalid (why)"),
    CLI_ENV_OPT(CLI_OPT_STRING, "allowed-signers", "FILE", &sg.allowed, 0, 0, NULL,
                "TARS_ALLOWED_SIGNERS",
                "identities, keys and role:<slug> principals; signing checks\n"
                "the new record against it"),
    CLI_STRING(0, "roles", "A,B", &sg.roles, "roles to list (default: the five of the checklist)"),
    CLI_FLAG(0, "json", &sg.json, "--list as JSON"),
    CLI_OPT_END_MARK,
};

const struct cli_spec cli_signoff_spec = {
    .name = "signoff",
    .synopsis = "tars signoff RUN_DIR --role ROLE (--approve | --reject --reason TEXT)\n"
                "                    --key FILE --identity ID\n"
                "tars signoff RUN_DIR --list [--allowed-signers FILE] [--roles A,B,...] [--json]",
    .about =
        "Signs this run's evidence digest for a role with your SSH key (ssh-keygen -Y sign,\n"
        "namespace " TARS_SIGNOFF_NAMESPACE ") and appends the record to RUN_DIR/" TARS_SIGNOFF_FILE
        ".\n"
        "Render the report first (tars report RUN_DIR) and read it: signing refuses when\n"
        "report.md shows other evidence, and, with allowed_signers, when the record would not\n"
        "verify. tars never reads the key: ssh-keygen does (an agent works with the public\n"
        "key's path).",
    .opts = signoff_table,
    .exits = "0 signed or listed, 1 refused (the report is not of this evidence, or the record\n"
             "would be invalid), 2 ssh-keygen could not sign or verify, 3 bad usage or run "
             "directory",
};

static int parse_signoff_args(int argc, char **argv, struct signoff_opts *o)
{
    int n, rc = cli_opt_parse(&cli_signoff_spec, argc, argv, &n);

    if (rc)
        return rc;
    if (n == 0)
        return cli_usage_error("signoff", "give a run directory");
    if (n > 1)
        return cli_usage_error("signoff", "one run directory only, not \"%s\"", argv[2]);
    o->dir = argv[1];
    if (o->list)
        return o->role || o->approve || o->reject
                   ? cli_usage_error("signoff", "--list takes no --role, --approve or --reject")
                   : 0;
    if (!o->role || o->approve == o->reject)
        return cli_usage_error("signoff", "give --role and one of --approve, --reject (or --list)");
    if (o->reject && (!o->reason || !*o->reason))
        return cli_usage_error("signoff", "a rejection needs --reason");
    if (!o->key || !o->identity)
        return cli_usage_error("signoff",
                               "give --key and --identity (or TARS_SIGNING_KEY, TARS_SIGNER)");
    return 0;
}

static int list(const struct signoff_opts *o)
{
    struct tars_err err = TARS_ERR_INIT;
    char **roles = NULL;
    json_t *v, *r;
    size_t i;

    if (o->roles && !(roles = signoff_split_roles(o->roles, TARS_SIGNOFF_MAX_RECORDS)))
        return cli_usage_error("signoff", "--roles: a comma-separated list of role names");
    v = tars_signoff_verify(o->dir, o->allowed, (const char *const *)roles, NULL, &err);
    signoff_free_roles(roles);
    if (!v) {
        fprintf(stderr, "tars signoff: %s\n", err.msg);
        return err.code == TARS_EUNAVAIL || err.code == TARS_EIO ? EXIT_INCONCLUSIVE : EXIT_USAGE;
    }
    if (o->json) {
        json_dumpf(v, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        printf("evidence %s\n", json_string_value(json_object_get(v, "digest")));
        if (!o->allowed)
            printf("not verified: no allowed_signers file (--allowed-signers, "
                   "TARS_ALLOWED_SIGNERS)\n");
        json_array_foreach(json_object_get(v, "roles"), i, r)
            signoff_print_role(stdout, "  ", r);
        json_array_foreach(json_object_get(v, "problems"), i, r)
            printf("problem: %s\n", json_string_value(r));
    }
    json_decref(v);
    return 0;
}

static int sign(const struct signoff_opts *o)
{
    struct tars_err err = TARS_ERR_INIT;
    struct tars_signoff_request req = {o->dir, o->role,        o->approve, o->reason, o->identity,
                                       o->key, tars_wall_ms(), NULL,       o->allowed};
    json_t *rec = NULL;
    int rc = tars_signoff_sign(&req, &rec, &err);

    if (rc != TARS_OK) {
        fprintf(stderr, "tars signoff: %s\n", err.msg);
        return rc == TARS_ECONFLICT                        ? EXIT_FAILED
               : rc == TARS_EINVAL || rc == TARS_ENOTFOUND ? EXIT_USAGE
                                                           : EXIT_INCONCLUSIVE;
    }
    printf("%s: %s %s by %s at %s (%s)\n", json_string_value(json_object_get(rec, "role")),
           json_string_value(json_object_get(rec, "decision")),
           json_string_value(json_object_get(rec, "digest")),
           json_string_value(json_object_get(rec, "signer")),
           json_string_value(json_object_get(rec, "time")), TARS_SIGNOFF_FILE);
    json_decref(rec);
    return 0;
}

int cmd_signoff(int argc, char **argv)
{
    int rc;

    memset(&sg, 0, sizeof(sg));
    if ((rc = parse_signoff_args(argc, argv, &sg)) != 0)
        return cli_opt_exit(rc);
    return sg.list ? list(&sg) : sign(&sg);
}
