/* sluiced: one node of a Sluice cluster. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "api/admin.h"
#include "api/gateway.h"
#include "api/http/server.h"
#include "raft/node.h"
#include "src/config.h"
#include "src/err.h"
#include "src/log.h"
#include "src/outbox/effector.h"
#include "src/sns/links.h"

struct daemon {
    uv_loop_t *loop;
    struct sl_config cfg;
    struct sl_node node;
    struct sl_http_server *http;
    struct sl_admin admin;
    struct sl_gateway gateway;
    struct sl_effector effector;
    uv_signal_t sigterm, sigint;
    uv_prepare_t log_flush;
    int exit_code;
};

static void handle_request(void *data, struct sl_http_exchange *x, const struct sl_http_request *req)
{
    struct daemon *d = data;
    if (!d->node.closing && sl_sns_cert_serve(d->node.store, x, req)) {
        return;
    }
    if (sl_admin_handle(&d->admin, x, req)) {
        return;
    }
    sl_gateway_handle(&d->gateway, x, req);
}

static void effector_kick(void *data)
{
    sl_effector_kick(data);
}

static void http_closed(void *data)
{
    struct daemon *d = data;
    sl_gateway_close(&d->gateway);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->log_flush, NULL);
}

/* Before the loop sleeps, what was logged in this iteration goes out. */
static void flush_log(uv_prepare_t *h)
{
    (void)h;
    sl_log_flush();
}

/* In-flight proposals are answered (done, or failed with a retryable
 * error) before the listener closes. */
static void node_closed(struct sl_node *n)
{
    struct daemon *d = (struct daemon *)((char *)n - offsetof(struct daemon, node));
    sl_http_server_close(d->http, http_closed, d);
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct daemon *d = s->data;
    sl_log(SL_LOG_INFO, "signal %d: shutting down", signum);
    uv_signal_stop(&d->sigterm);
    uv_signal_stop(&d->sigint);
    /* The effector first: it reads the store the node closes. */
    d->node.leader_hook = NULL;
    sl_effector_close(&d->effector, NULL);
    sl_node_close(&d->node, node_closed);
}

int main(int argc, char **argv)
{
    static struct daemon d;
    char err[1024];
    int rv = sl_config_parse(&d.cfg, argc, argv, err, sizeof err);
    if (rv == 1) {
        fputs(err, stdout);
        return 0;
    }
    if (rv != SL_OK) {
        fprintf(stderr, "sluiced: %s\n", err);
        return 2;
    }
    sl_log_setup(d.cfg.node.id, d.cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    d.loop = uv_default_loop();
    uv_prepare_init(d.loop, &d.log_flush);
    uv_prepare_start(&d.log_flush, flush_log);

    if (sl_node_start(&d.node, d.loop, &d.cfg.node) != SL_OK) {
        sl_log(SL_LOG_ERROR, "cannot start: %s", d.node.errmsg);
        return 1;
    }
    if (sl_effector_init(&d.effector, &d.node, d.loop, &d.cfg.effector) != SL_OK) {
        sl_log(SL_LOG_ERROR, "cannot start the outbox effector");
        return 1;
    }
    d.node.leader_hook = effector_kick;
    d.node.leader_hook_data = &d.effector;
    if (sl_gateway_init(&d.gateway, &d.node, d.loop, d.cfg.auth_none ? NULL : d.cfg.credentials,
                        d.cfg.cluster_secret, err, sizeof err) != SL_OK) {
        sl_log(SL_LOG_ERROR, "credentials: %s", err);
        return 1;
    }
    if (d.cfg.auth_none) {
        sl_log(SL_LOG_WARN, "--auth none: requests are not authenticated (development only)");
    }
    struct sl_http_config hc;
    sl_http_config_defaults(&hc);
    /* 1 MiB of SQS payload can triple or more as JSON (\uXXXX escapes). */
    hc.max_body_bytes = 8u << 20;
    hc.host = d.cfg.api_host;
    hc.port = d.cfg.api_port;
    if (d.cfg.tls_cert[0] != '\0') {
        hc.tls_cert_file = d.cfg.tls_cert;
        hc.tls_key_file = d.cfg.tls_key;
    }
    d.admin.node = &d.node;
    d.admin.admin_token = d.cfg.admin_token;
    if (sl_http_server_start(&d.http, d.loop, &hc, handle_request, &d, err, sizeof err) != 0) {
        sl_log(SL_LOG_ERROR, "cannot serve %s:%d: %s", hc.host, hc.port, err);
        return 1;
    }
    d.admin.http = d.http;
    d.admin.gateway = &d.gateway;
    d.admin.effector = &d.effector;
    sl_log(SL_LOG_INFO, "serving http://%s:%d", d.cfg.api_host, sl_http_server_port(d.http));

    uv_signal_init(d.loop, &d.sigterm);
    uv_signal_init(d.loop, &d.sigint);
    d.sigterm.data = d.sigint.data = &d;
    uv_signal_start(&d.sigterm, on_signal, SIGTERM);
    uv_signal_start(&d.sigint, on_signal, SIGINT);

    uv_run(d.loop, UV_RUN_DEFAULT);
    uv_loop_close(d.loop);
    return d.exit_code;
}
