/*
 * Where the Kubernetes API server is and how to prove who we are: a
 * kubeconfig (current or named context → cluster and user), the in-cluster
 * service account, or a server URL with a token from the environment. Only
 * static credentials are supported; exec plugins and auth providers would
 * mean running programs, which a check never does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube_int.h"
#include "tars/alloc.h"
#include "tars/crypto.h"
#include "tars/str.h"
#include "tars/yaml.h"

void kube_target_release(struct kube_target *t)
{
    if (!t)
        return;
    if (t->token)
        memset(t->token, 0, strlen(t->token));
    if (t->key_pem)
        memset(t->key_pem, 0, strlen(t->key_pem));
    free(t->server);
    free(t->token);
    free(t->ca_pem);
    free(t->ca_file);
    free(t->cert_pem);
    free(t->cert_file);
    free(t->key_pem);
    free(t->key_file);
    free(t->namespace);
    free(t->source);
    memset(t, 0, sizeof(*t));
}

static int read_all(int fd, char *buf, size_t size, size_t *got)
{
    size_t n = 0;
    while (n < size) {
        ssize_t r = read(fd, buf + n, size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *got = n;
    return 0;
}

int kube_read_file(const char *path, size_t max, char **out, size_t *len, struct tars_err *err)
{
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    int rc = TARS_EIO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return tars_err_set(err, TARS_EIO, "cannot open \"%s\": %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        tars_err_set(err, TARS_EIO, "\"%s\" is not a readable file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        rc = tars_err_set(err, TARS_ETOOBIG, "\"%s\" is larger than %zu bytes", path, max);
        goto out;
    }
    buf = xmalloc((size_t)st.st_size + 1);
    if (read_all(fd, buf, (size_t)st.st_size, &got) != 0) {
        tars_err_set(err, TARS_EIO, "cannot read \"%s\": %s", path, strerror(errno));
        goto out;
    }
    buf[got] = '\0';
    *out = buf;
    buf = NULL;
    if (len)
        *len = got;
    rc = TARS_OK;
out:
    free(buf);
    close(fd);
    return rc;
}

int kube_base64_decode(const char *in, size_t len, size_t max, unsigned char **out, size_t *out_len)
{
    size_t cap = len / 4 * 3 + 3;
    unsigned char *buf = xmalloc(cap + 1);

    if (cap > max)
        cap = max;
    if (tars_base64_decode(in, len, TARS_B64_MIME, buf, cap, out_len)) {
        free(buf);
        return TARS_EINVAL;
    }
    buf[*out_len] = '\0';
    *out = buf;
    return TARS_OK;
}

/* The `field` mapping of the entry named name in list (contexts, clusters,
 * users), or NULL. */
static json_t *find_named(json_t *list, const char *name, const char *field)
{
    size_t i;
    json_t *entry;

    json_array_foreach(list, i, entry) {
        const char *n = json_string_value(json_object_get(entry, "name"));
        if (n && strcmp(n, name) == 0)
            return json_object_get(entry, field);
    }
    return NULL;
}

/* path as is when absolute, else relative to dir. */
static char *resolve_path(const char *dir, const char *path)
{
    size_t need;
    char *s;

    if (path[0] == '/' || !dir || !dir[0])
        return xstrdup(path);
    need = strlen(dir) + strlen(path) + 2;
    s = xmalloc(need);
    snprintf(s, need, "%s/%s", dir, path);
    return s;
}

static const char *field_str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && s[0] ? s : NULL;
}

/* A PEM given inline as base64 (`key-data`) or as a file (`key`). */
static int load_pem(const tars_yaml_doc *doc, json_t *obj, const char *dir, const char *key,
                    char **pem, char **file, struct tars_err *err)
{
    char data_key[64];
    const char *data, *path;
    unsigned char *raw = NULL;
    size_t raw_len;

    snprintf(data_key, sizeof(data_key), "%s-data", key);
    data = field_str(obj, data_key);
    path = field_str(obj, key);
    if (data) {
        if (kube_base64_decode(data, strlen(data), KUBE_MAX_FILE, &raw, &raw_len) != 0)
            return tars_yaml_error(doc, json_object_get(obj, data_key), err, TARS_EINVAL,
                                   "%s is not valid base64", data_key);
        *pem = (char *)raw;
        return TARS_OK;
    }
    if (path)
        *file = resolve_path(dir, path);
    return TARS_OK;
}

static bool yaml_true(json_t *v)
{
    const char *s = json_string_value(v);
    return json_is_true(v) || (s && strcmp(s, "true") == 0);
}

static int load_cluster(const tars_yaml_doc *doc, json_t *cluster, const char *dir,
                        struct kube_target *out, struct tars_err *err)
{
    const char *server = field_str(cluster, "server");
    size_t len;

    if (!server)
        return tars_yaml_error(doc, cluster, err, TARS_EINVAL, "cluster has no server");
    if (!tars_str_has_prefix(server, "https://") && !tars_str_has_prefix(server, "http://"))
        return tars_yaml_error(doc, json_object_get(cluster, "server"), err, TARS_EINVAL,
                               "server \"%s\" is not an http(s) URL", server);
    out->server = xstrdup(server);
    len = strlen(out->server);
    while (len > 0 && out->server[len - 1] == '/')
        out->server[--len] = '\0';
    out->insecure = yaml_true(json_object_get(cluster, "insecure-skip-tls-verify"));
    return load_pem(doc, cluster, dir, "certificate-authority", &out->ca_pem, &out->ca_file, err);
}

static void trim_end(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

static int load_token_file(const char *path, char **token, struct tars_err *err)
{
    int rc = kube_read_file(path, KUBE_MAX_FILE, token, NULL, err);
    if (rc)
        return rc;
    trim_end(*token);
    if (!(*token)[0]) {
        free(*token);
        *token = NULL;
        return tars_err_set(err, TARS_EINVAL, "token file \"%s\" is empty", path);
    }
    return TARS_OK;
}

static int load_user_token(const tars_yaml_doc *doc, json_t *user, const char *dir,
                           struct kube_target *out, struct tars_err *err)
{
    const char *token = field_str(user, "token");
    const char *token_file = field_str(user, "tokenFile");
    char *path;
    int rc;

    (void)doc;
    if (token) {
        out->token = xstrdup(token);
        return TARS_OK;
    }
    if (!token_file)
        return TARS_OK;
    path = resolve_path(dir, token_file);
    rc = load_token_file(path, &out->token, err);
    free(path);
    return rc;
}

static int load_user(const tars_yaml_doc *doc, json_t *user, const char *dir,
                     struct kube_target *out, struct tars_err *err)
{
    static const char *const unsupported[] = {"exec", "auth-provider", "username"};
    int rc;

    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
        if (json_object_get(user, unsupported[i]))
            return tars_yaml_error(doc, json_object_get(user, unsupported[i]), err, TARS_EINVAL,
                                   "user credentials by \"%s\" are not supported (use a "
                                   "token or a client certificate)",
                                   unsupported[i]);
    rc = load_user_token(doc, user, dir, out, err);
    if (rc == 0)
        rc = load_pem(doc, user, dir, "client-certificate", &out->cert_pem, &out->cert_file, err);
    if (rc == 0)
        rc = load_pem(doc, user, dir, "client-key", &out->key_pem, &out->key_file, err);
    if (rc == 0 && !(out->cert_pem || out->cert_file) != !(out->key_pem || out->key_file))
        rc = tars_yaml_error(doc, user, err, TARS_EINVAL,
                             "client certificate and client key must be given together");
    return rc;
}

/* The context mapping chosen by name, or by current-context. */
static json_t *pick_context(const tars_yaml_doc *doc, const char *context, const char **name,
                            struct tars_err *err)
{
    json_t *root = tars_yaml_root(doc);
    json_t *ctx;

    if (!context)
        context = field_str(root, "current-context");
    if (!context) {
        tars_yaml_error(doc, root, err, TARS_EINVAL, "no current-context and no context given");
        return NULL;
    }
    ctx = find_named(json_object_get(root, "contexts"), context, "context");
    if (!json_is_object(ctx)) {
        tars_yaml_error(doc, root, err, TARS_EINVAL, "context \"%s\" not found", context);
        return NULL;
    }
    *name = context;
    return ctx;
}

/* The folder of path (for relative file references), heap-owned. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

static int load_context(const tars_yaml_doc *doc, json_t *ctx, const char *dir,
                        struct kube_target *out, struct tars_err *err)
{
    json_t *root = tars_yaml_root(doc);
    const char *cluster_name = field_str(ctx, "cluster");
    const char *user_name = field_str(ctx, "user");
    json_t *cluster, *user;
    int rc;

    if (!cluster_name)
        return tars_yaml_error(doc, ctx, err, TARS_EINVAL, "context has no cluster");
    cluster = find_named(json_object_get(root, "clusters"), cluster_name, "cluster");
    if (!json_is_object(cluster))
        return tars_yaml_error(doc, ctx, err, TARS_EINVAL, "cluster \"%s\" not found",
                               cluster_name);
    rc = load_cluster(doc, cluster, dir, out, err);
    if (rc || !user_name)
        return rc;
    user = find_named(json_object_get(root, "users"), user_name, "user");
    if (!json_is_object(user))
        return tars_yaml_error(doc, ctx, err, TARS_EINVAL, "user \"%s\" not found", user_name);
    return load_user(doc, user, dir, out, err);
}

int kube_config_load(const char *path, const char *context, struct kube_target *out,
                     struct tars_err *err)
{
    tars_yaml_doc *doc = tars_yaml_load_file(path, err);
    char *dir = NULL;
    const char *name = NULL;
    json_t *ctx;
    int rc = TARS_EINVAL;
    char source[512];

    memset(out, 0, sizeof(*out));
    if (!doc)
        return err ? (err->code ? err->code : TARS_EINVAL) : TARS_EINVAL;
    if (!json_is_object(tars_yaml_root(doc))) {
        rc = tars_yaml_error(doc, tars_yaml_root(doc), err, TARS_EINVAL,
                             "a kubeconfig must be a mapping");
        goto out;
    }
    ctx = pick_context(doc, context, &name, err);
    if (!ctx)
        goto out;
    dir = dir_of(path);
    rc = load_context(doc, ctx, dir, out, err);
    if (rc)
        goto out;
    if (field_str(ctx, "namespace"))
        out->namespace = xstrdup(field_str(ctx, "namespace"));
    snprintf(source, sizeof(source), "kubeconfig \"%s\" context \"%s\"", path, name);
    out->source = xstrdup(source);
out:
    if (rc)
        kube_target_release(out);
    free(dir);
    tars_yaml_free(doc);
    return rc;
}

int kube_config_in_cluster(const char *sa_dir, const char *host, const char *port,
                           struct kube_target *out, struct tars_err *err)
{
    char path[1024], url[512];
    char *ns = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!host || !host[0])
        return tars_err_set(err, TARS_EINVAL,
                            "in_cluster: KUBERNETES_SERVICE_HOST is not set (not in a pod?)");
    if (!port || !port[0])
        port = "443";
    snprintf(url, sizeof(url), strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
    out->server = xstrdup(url);
    snprintf(path, sizeof(path), "%s/token", sa_dir);
    rc = load_token_file(path, &out->token, err);
    if (rc)
        goto out;
    snprintf(path, sizeof(path), "%s/ca.crt", sa_dir);
    out->ca_file = xstrdup(path);
    snprintf(path, sizeof(path), "%s/namespace", sa_dir);
    if (access(path, R_OK) == 0 && kube_read_file(path, 256, &ns, NULL, NULL) == 0) {
        trim_end(ns);
        out->namespace = ns;
    }
    out->source = xstrdup("in-cluster service account");
out:
    if (rc)
        kube_target_release(out);
    return rc;
}

/* targets.kubernetes.<field> (or the check's parameter) as a string. */
static const char *target_str(const struct tars_check_ctx *ctx, const char *field)
{
    const char *s = tars_check_target_str(ctx, "kubernetes", field);
    return s && s[0] ? s : NULL;
}

static bool target_bool(const struct tars_check_ctx *ctx, const char *field)
{
    json_t *kt = json_object_get(ctx->targets, "kubernetes");
    json_t *v = json_object_get(kt, field);
    const char *s;

    if (v)
        return yaml_true(v);
    s = target_str(ctx, field);
    return s && strcmp(s, "true") == 0;
}

/* The kubeconfig to read: the target's, else $KUBECONFIG's first entry,
 * else ~/.kube/config. Heap-owned. */
static char *default_kubeconfig(const struct tars_check_ctx *ctx)
{
    const char *path = target_str(ctx, "kubeconfig");
    const char *env = getenv("KUBECONFIG");
    const char *home = getenv("HOME");
    size_t need;
    char *s;

    if (path)
        return xstrdup(path);
    if (env && env[0])
        return xstrndup(env, strcspn(env, ":"));
    if (!home || !home[0])
        return NULL;
    need = strlen(home) + sizeof("/.kube/config");
    s = xmalloc(need);
    snprintf(s, need, "%s/.kube/config", home);
    return s;
}

static int token_from_env(const struct tars_check_ctx *ctx, struct kube_target *out,
                          struct tars_err *err)
{
    const char *name = target_str(ctx, "token_env");
    const char *value;

    if (!name)
        return TARS_OK;
    value = getenv(name);
    if (!value || !value[0])
        return tars_err_set(err, TARS_EAUTH, "token_env: environment variable \"%s\" is empty",
                            name);
    if (out->token) {
        memset(out->token, 0, strlen(out->token));
        free(out->token);
    }
    out->token = xstrdup(value);
    return TARS_OK;
}

/* Fields of the target that override what the kubeconfig says. */
static int apply_overrides(const struct tars_check_ctx *ctx, struct kube_target *out,
                           struct tars_err *err)
{
    const char *server = target_str(ctx, "server");
    const char *ca_file = target_str(ctx, "ca_file");

    if (server) {
        if (!tars_str_has_prefix(server, "https://") && !tars_str_has_prefix(server, "http://"))
            return tars_err_set(err, TARS_EINVAL, "server \"%s\" is not an http(s) URL", server);
        free(out->server);
        out->server = xstrdup(server);
        if (out->server[0] && out->server[strlen(out->server) - 1] == '/')
            out->server[strlen(out->server) - 1] = '\0';
    }
    if (ca_file) {
        free(out->ca_file);
        free(out->ca_pem);
        out->ca_pem = NULL;
        out->ca_file = xstrdup(ca_file);
    }
    if (target_bool(ctx, "insecure"))
        out->insecure = true;
    return token_from_env(ctx, out, err);
}

static int resolve_kubeconfig(const struct tars_check_ctx *ctx, struct kube_target *out,
                              struct tars_err *err)
{
    char *path = default_kubeconfig(ctx);
    int rc;

    if (!path)
        return tars_err_set(err, TARS_EINVAL,
                            "no kubeconfig: set targets.kubernetes.kubeconfig or $KUBECONFIG");
    rc = kube_config_load(path, target_str(ctx, "context"), out, err);
    free(path);
    return rc;
}

int kube_target_resolve(const struct tars_check_ctx *ctx, struct kube_target *out,
                        struct tars_err *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (target_bool(ctx, "in_cluster")) {
        rc = kube_config_in_cluster(KUBE_SA_DIR, getenv("KUBERNETES_SERVICE_HOST"),
                                    getenv("KUBERNETES_SERVICE_PORT"), out, err);
    } else if (target_str(ctx, "server") && !target_str(ctx, "kubeconfig")) {
        out->source = xstrdup("targets.kubernetes.server");
        rc = TARS_OK;
    } else {
        rc = resolve_kubeconfig(ctx, out, err);
    }
    if (rc == 0)
        rc = apply_overrides(ctx, out, err);
    if (rc)
        kube_target_release(out);
    return rc;
}
