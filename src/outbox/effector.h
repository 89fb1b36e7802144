/* The leader's effector: performs the outbox's due items and proposes each
 * attempt's outcome (outbox.h).
 *
 * It runs on the node's libuv loop and acts only while the node leads. It
 * walks the due index of the committed state (bounded per look), starts up
 * to max_inflight transfers with libcurl's multi interface, driven by
 * uv_poll handles for curl's sockets and a uv_timer for curl's timeouts,
 * and when a transfer ends proposes OUTCOME through the node's proposer.
 * An item stays "in flight" here until its outcome has applied, so it is
 * never performed twice by one leader; a new leader starts from the state
 * and performs again whatever had no outcome yet (at-least-once).
 *
 * HTTP: POST with the item's headers and body; 2xx is delivered; 408, 429,
 * 5xx, timeouts and connection failures are retried; any other status is a
 * permanent failure. Email: sent through the configured SMTP relay with
 * libcurl; with no relay configured, the attempt fails permanently.
 *
 * Per-reference counters (for SNS: per subscription) are kept in memory on
 * the node that performed the attempts, for /metrics. */
#ifndef SL_OUTBOX_EFFECTOR_H
#define SL_OUTBOX_EFFECTOR_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "src/metrics.h"

struct sl_node;
struct transfer;
struct ref_stats;

struct sl_effector_config {
    unsigned max_inflight;   /* transfers at once */
    unsigned timeout_ms;     /* whole transfer */
    unsigned connect_timeout_ms;
    char smtp_url[512];      /* smtp://host:port or smtps://..., "" = no relay */
    char smtp_from[256];     /* envelope and header sender */
};

void sl_effector_config_defaults(struct sl_effector_config *c);

#define SL_EFFECTOR_MAX_REFS 1024 /* references tracked for metrics */

struct sl_effector {
    struct sl_node *node; /* not owned */
    uv_loop_t *loop;
    struct sl_effector_config cfg;
    CURLM *multi;
    uv_timer_t curl_timer; /* curl's own timeout */
    uv_timer_t wake;       /* the next due item */
    struct transfer *inflight;
    unsigned n_inflight;
    uint64_t last_look;    /* wall ms of the last walk of the due index */
    bool closing;
    unsigned handles_open;
    void (*close_cb)(struct sl_effector *e);
    struct ref_stats *refs;
    unsigned n_refs;
    uint64_t attempts, delivered, failed, outcomes_lost;
};

/* Returns SL_OK or SL_ENOMEM (curl could not start). */
int sl_effector_init(struct sl_effector *e, struct sl_node *node, uv_loop_t *loop,
                     const struct sl_effector_config *cfg);
/* Re-evaluates: after entries applied, or when leadership changed. Stops
 * everything not yet reported when the node no longer leads. */
void sl_effector_kick(struct sl_effector *e);
/* Aborts transfers and closes the handles; cb fires when all are closed. */
void sl_effector_close(struct sl_effector *e, void (*cb)(struct sl_effector *e));

/* Appends the Prometheus metrics (labels: this node's). */
void sl_effector_metrics(const struct sl_effector *e, struct sl_text *t, const char *labels);

#endif
