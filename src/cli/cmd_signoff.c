/* tars signoff: sign a run's evidence for a role, or list every role's state (docs/signoff.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "signoff_output.h"
#include "tars/clock.h"
#include "tars/signoff.h"

struct signoff_opts {
    const char *dir, *role, *reason, *key, *identity, *allowed, *roles;
    int approve, reject, list, json, help;
};

void usage_signoff(void)
{
    printf(
        "usage: tars signoff RUN_DIR --role ROLE (--approve | --reject --reason TEXT)\n"
        "                    --key FILE --identity ID\n"
        "       tars signoff RUN_DIR --list [--allowed-signers FILE] [--roles A,B,...] [--json]\n\n"
        "Signs this run's evidence digest for a role with your SSH key (ssh-keygen -Y sign,\n"
        "namespace " TARS_SIGNOFF_NAMESPACE ") and appends the record to RUN_DIR/" TARS_SIGNOFF_FILE
        ".\n"
        "Render the report first (tars report RUN_DIR) and read it: signing refuses when\n"
        "report.md shows other evidence, and, with allowed_signers, when the record would not\n"
        "verify. tars never reads the key: ssh-keygen does (an agent works with the public\n"
        "key's path).\n\n"
        "  --role ROLE             e.g. \"QA Lead\"\n"
        "  --approve, --reject     the decision; a rejection needs --reason\n"
        "  --reason TEXT           one line, shown in the report\n"
        "  --key FILE              your key for ssh-keygen -f (default $TARS_SIGNING_KEY)\n"
        "  --identity ID           you, as allowed_signers names you (default $TARS_SIGNER)\n"
        "  --list                  each role: approved, rejected, missing or invalid (why)\n"
        "  --allowed-signers FILE  identities, keys and role:<slug> principals; signing checks\n"
        "                          the new record against it\n"
        "                          (default $TARS_ALLOWED_SIGNERS)\n"
        "  --roles A,B             roles to list (default: the five of the checklist)\n"
        "  --json                  --list as JSON\n"
        "exit: 0 signed or listed, 1 refused (the report is not of this evidence, or the record\n"
        "would be invalid), 2 ssh-keygen could not sign or verify, 3 bad usage or run directory\n");
}

static int parse_signoff_args(int argc, char **argv, struct signoff_opts *o)
{
    static const struct option longopts[] = {
        {"role", required_argument, NULL, 'r'},  {"approve", no_argument, NULL, 'a'},
        {"reject", no_argument, NULL, 'x'},      {"reason", required_argument, NULL, 'R'},
        {"key", required_argument, NULL, 'k'},   {"identity", required_argument, NULL, 'i'},
        {"list", no_argument, NULL, 'l'},        {"allowed-signers", required_argument, NULL, 'A'},
        {"roles", required_argument, NULL, 'L'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': o->role = optarg; break;
        case 'a': o->approve = 1; break;
        case 'x': o->reject = 1; break;
        case 'R': o->reason = optarg; break;
        case 'k': o->key = optarg; break;
        case 'i': o->identity = optarg; break;
        case 'l': o->list = 1; break;
        case 'A': o->allowed = optarg; break;
        case 'L': o->roles = optarg; break;
        case 'j': o->json = 1; break;
        case 'h': o->help = 1; return 0;
        default:
            return cli_usage_error("signoff", "unknown or incomplete option \"%s\"",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        o->dir = argv[optind++];
    if (!o->dir)
        return cli_usage_error("signoff", "give a run directory");
    if (optind < argc)
        return cli_usage_error("signoff", "one run directory only, not \"%s\"", argv[optind]);
    o->key = cli_env_or(o->key, "TARS_SIGNING_KEY", NULL);
    o->identity = cli_env_or(o->identity, "TARS_SIGNER", NULL);
    o->allowed = cli_env_or(o->allowed, "TARS_ALLOWED_SIGNERS", NULL);
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
        json_array_foreach (json_object_get(v, "roles"), i, r)
            signoff_print_role(stdout, "  ", r);
        json_array_foreach (json_object_get(v, "problems"), i, r)
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
    struct signoff_opts o = {0};
    int rc = parse_signoff_args(argc, argv, &o);

    if (rc || o.help) {
        if (o.help)
            usage_signoff();
        return rc;
    }
    return o.list ? list(&o) : sign(&o);
}
