/* `tars release --dry-run`: the plan, nothing run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release_pipeline.h"

static void print_steps(struct pipeline *p, FILE *out, const struct tars_release_stage_config *sc)
{
    char line[2048];

    for (size_t i = 0; i < sc->step_count; i++) {
        pipeline_describe_step(p, &sc->steps[i], line, sizeof(line));
        fprintf(out, "    %s   (timeout %llds%s)\n", line,
                (long long)((sc->steps[i].timeout_ms ? sc->steps[i].timeout_ms : sc->timeout_ms) /
                            1000),
                sc->steps[i].allow_failure ? ", may fail" : "");
    }
    if (sc->step_count == 0)
        fprintf(out, "    (no steps: skipped)\n");
}

int tars_release_plan(const struct tars_release_config *c, const struct tars_release_options *o,
                      FILE *out)
{
    struct pipeline p;

    memset(&p, 0, sizeof(p));
    p.c = c;
    p.o = o;
    snprintf(p.run_dir, sizeof(p.run_dir), "%s",
             o->run_dir ? o->run_dir : "<runs>/<UTC>-<version>");
    snprintf(p.artifacts_dir, sizeof(p.artifacts_dir), "%s/%s", p.run_dir, c->artifacts_dir);
    p.vars = (struct release_vars){c->version, c->base_url,     c->environment, c->namespace_,
                                   p.run_dir,  p.artifacts_dir, o->self_exe,    o->canary_weight};
    fprintf(out, "release %s: version %s, environment %s%s%s\n", c->name, c->version,
            c->environment, c->base_url ? ", target " : "", c->base_url ? c->base_url : "");
    fprintf(out, "run directory: %s\n\n", p.run_dir);
    fprintf(out, "1. preflight: %zu required files", c->file_count);
    fprintf(out, "%s%s%s\n", c->rules_file ? "; promtool check rules" : "",
            c->chart_dir ? "; helm lint" : "", c->need_cluster ? "; kubectl cluster-info" : "");
    fprintf(out, "2. package: %s\n", c->package ? p.artifacts_dir : "skipped (not configured)");
    fprintf(out, "3. deploy (canary weight %d):\n", o->canary_weight);
    print_steps(&p, out, &c->deploy);
    if (c->ready_url) {
        char *url = release_expand(c->ready_url, &p.vars);
        fprintf(out, "4. wait: GET %s until 200 (at most %llds)\n", url,
                (long long)(c->wait_timeout_ms / 1000));
        free(url);
        if (c->wait.step_count)
            print_steps(&p, out, &c->wait);
    } else {
        fprintf(out, "4. wait:\n");
        print_steps(&p, out, &c->wait);
    }
    fprintf(out, "5. validate%s:\n", o->skip_tests ? " (skipped: --skip-tests)" : "");
    print_steps(&p, out, &c->validate);
    fprintf(out, "6. perf%s:\n", o->skip_tests ? " (skipped: --skip-tests)" : "");
    print_steps(&p, out, &c->perf);
    fprintf(out, "7. decide: every stage passed, every recorded threshold held%s%s\n",
            c->baseline ? ", tars compare against " : "", c->baseline ? c->baseline : "");
    if (o->canary_weight > 0)
        fprintf(
            out, "   canary analysis: %s%s%s\n",
            c->canary_stable_url ? "tars load against " : "none (the config has no canary section)",
            c->canary_stable_url ? c->canary_stable_url : "",
            c->canary_stable_url ? " and the canary side by side, then tars compare --canary" : "");
    fprintf(out, "8. rollback%s:\n",
            o->force_deploy ? " (never: --force-deploy)" : " (on failure)");
    print_steps(&p, out, &c->rollback);
    fprintf(out, "9. report: %s\n",
            c->report ? (c->report_html ? "report.md, report.html" : "report.md") : "skipped");
    fprintf(out, "10. notify:%s%s\n", c->slack_webhook_env ? " slack" : "",
            c->github_repository ? " github deployment status"
                                 : (c->slack_webhook_env ? "" : " none"));
    return TARS_OK;
}
