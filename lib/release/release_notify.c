/*
 * Notifications: Slack incoming-webhook payloads of the original pipeline's
 * shape (docs/release-format.md: start, rollback, success) and GitHub deployment statuses.
 * Webhook URLs and tokens are secrets: they are never put in messages.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "release_int.h"
#include "tars/clock.h"
#include "tars/curl_easy.h"
#include "tars/url.h"

#define POST_TIMEOUT_S 10L

static json_t *field(const char *title, const char *value, bool is_short)
{
    return json_pack("{s:s,s:s,s:b}", "title", title, "value", value ? value : "", "short",
                     is_short);
}

json_t *release_slack_payload(const struct tars_release_config *c, enum release_message m,
                              const char *git_sha, const char *branch)
{
    char now[TARS_ISO8601_LEN], text[256], version[80];
    json_t *fields = json_array(), *attachment, *payload;
    const char *color, *footer = NULL;

    snprintf(version, sizeof(version), "v%s", c->version);
    tars_iso8601(tars_wall_ms(), now);
    switch (m) {
    case RELEASE_MSG_START:
        color = "#36a64f";
        snprintf(text, sizeof(text), "T.A.R.S. %s %s deployment pipeline started", version,
                 c->environment);
        json_array_append_new(fields, field("Commit", git_sha, true));
        json_array_append_new(fields, field("Branch", branch, true));
        json_array_append_new(fields, field("Triggered By", "tars release", true));
        json_array_append_new(fields, field("Timestamp", now, true));
        break;
    case RELEASE_MSG_ROLLBACK:
        color = "danger";
        footer = c->run_url ? c->run_url : "Review logs in the run directory";
        snprintf(text, sizeof(text), "T.A.R.S. %s %s deployment rolled back", version,
                 c->environment);
        json_array_append_new(fields, field("Version", version, true));
        json_array_append_new(fields, field("Commit", git_sha, true));
        json_array_append_new(fields, field("Status", "Rolled back to previous version", false));
        break;
    default:
        color = "good";
        footer = "Ready for production promotion";
        snprintf(text, sizeof(text), "T.A.R.S. %s deployed to %s and validated", version,
                 c->environment);
        json_array_append_new(fields, field("Version", version, true));
        json_array_append_new(fields, field("Commit", git_sha, true));
        json_array_append_new(fields, field("Environment", c->environment, true));
        json_array_append_new(fields, field("URL", c->base_url ? c->base_url : "", false));
        break;
    }
    attachment = json_pack("{s:s,s:o}", "color", color, "fields", fields);
    if (footer && m == RELEASE_MSG_ROLLBACK) {
        char line[512];
        snprintf(line, sizeof(line), "Review logs: %s", footer);
        json_object_set_new(attachment, "footer", json_string(line));
    } else if (footer) {
        json_object_set_new(attachment, "footer", json_string(footer));
    }
    payload = json_pack("{s:s,s:s,s:s,s:[o]}", "username", "T.A.R.S. Deployment Bot", "icon_emoji",
                        ":rocket:", "text", text, "attachments", attachment);
    if (payload && c->slack_channel)
        json_object_set_new(payload, "channel", json_string(c->slack_channel));
    return payload;
}

/* "https://hooks.slack.com/services/..." → "hooks.slack.com", for messages:
 * the rest of a webhook URL is its secret. */
static void host_of(const char *url, char *out, size_t cap)
{
    struct tars_url u;

    if (tars_url_parse(&u, url, NULL) != TARS_OK || tars_url_authority(&u, out, cap) != TARS_OK)
        snprintf(out, cap, "the configured URL");
}

int release_post_json(const char *url, const char *bearer, json_t *payload, struct tars_err *err)
{
    char host[128], auth[1024];
    struct curl_slist *headers = NULL;
    char *body = json_dumps(payload, JSON_COMPACT);
    long status;
    CURLcode cc;
    CURL *h;

    host_of(url, host, sizeof(host));
    if (!body)
        return tars_err_set(err, TARS_EINTERNAL, "out of memory");
    h = tars_curl_easy(url, POST_TIMEOUT_S * 1000L, "tars-release", err);
    if (!h) {
        free(body);
        return TARS_EINTERNAL;
    }
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Accept: application/vnd.github+json");
    if (bearer) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        headers = curl_slist_append(headers, auth);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    status = tars_curl_perform(h, &cc);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    free(body);
    memset(auth, 0, sizeof(auth));
    if (cc != CURLE_OK)
        return tars_err_set(err, TARS_EUNAVAIL, "POST to %s failed: %s", host,
                            curl_easy_strerror(cc));
    if (status < 200 || status > 299)
        return tars_err_set(err, TARS_EUNAVAIL, "POST to %s answered %ld", host, status);
    return TARS_OK;
}
