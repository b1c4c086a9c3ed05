/*
 * Where a build comes from: the commit (git, run as a child process with
 * stdout captured and stderr discarded) and the build time, which also
 * stamps every archive member: SOURCE_DATE_EPOCH (reproducible-builds.org)
 * when set, else the commit time, else the clock.
 */
#include "tars/package.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tars/proc.h"
#include "tars/str.h"

#define GIT_TIMEOUT_MS 60000

/* Runs git -C dir args... (its standard error discarded, at most
 * GIT_TIMEOUT_MS) and returns its first output line in out; TARS_EUNAVAIL
 * when git is missing, fails or says nothing. The output goes to an
 * anonymous temporary file, so git never blocks on a full pipe. */
static int git_line(const char *dir, const char *const *args, char *out, size_t cap)
{
    char *argv[12];
    FILE *tmp = tmpfile();
    struct tars_proc p = {
        .argv = argv, .search_path = true, .discard_stderr = true, .timeout_ms = GIT_TIMEOUT_MS};
    struct tars_proc_result r;
    size_t n = 0;

    if (!tmp)
        return TARS_EIO;
    argv[n++] = (char *)"git";
    argv[n++] = (char *)"-C";
    argv[n++] = (char *)dir;
    for (size_t i = 0; args[i] && n < 11; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    p.out_fd = fileno(tmp);
    tars_proc_run(&p, &r);
    rewind(tmp);
    if (!fgets(out, (int)cap, tmp))
        out[0] = '\0';
    fclose(tmp);
    out[strcspn(out, "\r\n")] = '\0';
    return r.exit_code == 0 && !r.not_started && out[0] ? TARS_OK : TARS_EUNAVAIL;
}

static bool is_hex(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);

    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

static void lowercase(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'F')
            *s = (char)(*s - 'A' + 'a');
}

/* A given sha: full (40 or 64 hex digits) as is; an abbreviation only when
 * git can expand it to the one commit it names. */
static int resolve_sha(const char *dir, const char *given, char out[65], struct tars_err *err)
{
    char spec[96];

    if (!is_hex(given, 7, 64))
        return tars_err_set(err, TARS_EINVAL, "git sha \"%.70s\" is not a hex commit id", given);
    if (strlen(given) == 40 || strlen(given) == 64) {
        tars_strlcpy(out, given, 65);
        lowercase(out);
        return TARS_OK;
    }
    snprintf(spec, sizeof(spec), "%s^{commit}", given);
    if (git_line(dir, (const char *const[]){"rev-parse", "--verify", "--quiet", spec, NULL}, out,
                 65) != TARS_OK ||
        !is_hex(out, 40, 64))
        return tars_err_set(err, TARS_EINVAL,
                            "git sha \"%s\" is abbreviated and git cannot expand it here; "
                            "give the full sha",
                            given);
    return TARS_OK;
}

static int build_time(const char *dir, struct tars_build_info *info, struct tars_err *err)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char line[64];
    int64_t t;

    if (sde && *sde) {
        if (tars_parse_i64(sde, 0, 253402300799LL, &t) != TARS_OK)
            return tars_err_set(err, TARS_EINVAL,
                                "SOURCE_DATE_EPOCH \"%.40s\" is not a number of seconds", sde);
        info->epoch = t;
        info->time_source = "SOURCE_DATE_EPOCH";
        return TARS_OK;
    }
    if (strcmp(info->git_sha, "unknown") != 0 &&
        git_line(dir, (const char *const[]){"show", "-s", "--format=%ct", info->git_sha, NULL},
                 line, sizeof(line)) == TARS_OK &&
        tars_parse_i64(line, 0, 253402300799LL, &t) == TARS_OK) {
        info->epoch = t;
        info->time_source = "git";
        return TARS_OK;
    }
    info->epoch = (int64_t)time(NULL);
    info->time_source = "clock";
    return TARS_OK;
}

int tars_package_probe_build(const char *source_dir, const char *given_sha,
                             struct tars_build_info *info, struct tars_err *err)
{
    const char *dir = source_dir ? source_dir : ".";
    int rc;

    memset(info, 0, sizeof(*info));
    if (given_sha) {
        if ((rc = resolve_sha(dir, given_sha, info->git_sha, err)) != TARS_OK)
            return rc;
    } else if (git_line(dir, (const char *const[]){"rev-parse", "--verify", "HEAD", NULL},
                        info->git_sha, sizeof(info->git_sha)) != TARS_OK ||
               !is_hex(info->git_sha, 40, 64)) {
        tars_strlcpy(info->git_sha, "unknown", sizeof(info->git_sha));
    }
    if (git_line(dir, (const char *const[]){"rev-parse", "--abbrev-ref", "HEAD", NULL},
                 info->branch, sizeof(info->branch)) != TARS_OK)
        tars_strlcpy(info->branch, "unknown", sizeof(info->branch));
    else if (strcmp(info->branch, "HEAD") == 0)
        tars_strlcpy(info->branch, "detached", sizeof(info->branch));
    return build_time(dir, info, err);
}
