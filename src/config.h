/* sluiced's configuration: flags, and an optional file of "key = value"
 * lines using the flag names without "--" (flags given after --config
 * override the file). See docs/operations.md for every key. */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stddef.h>

#include "raft/node.h"
#include "src/outbox/effector.h"

struct sl_config {
    struct sl_node_config node;
    char api_host[SL_ADDR_MAX];
    int api_port;
    char admin_token[128]; /* required on mutating /admin calls when set */
    char credentials[1024]; /* SigV4 credentials file */
    char cluster_secret[256]; /* authenticates forwards; default from credentials */
    bool auth_none;         /* development only: no request authentication */
    char tls_cert[1024];
    char tls_key[1024];
    struct sl_effector_config effector; /* outbox deliveries: SMTP relay */
    int log_level;
};

/* Fills defaults, then applies argv. SL_EINVAL with err filled on bad
 * input; 1 when --help was asked (usage is in err). */
int sl_config_parse(struct sl_config *c, int argc, char **argv, char *err, size_t err_len);

/* Parses "1=127.0.0.1:7001/127.0.0.1:4566,2=..." into members. */
int sl_config_parse_members(struct sl_node_config *n, const char *s, char *err, size_t err_len);

/* Splits "host:port"; SL_EINVAL unless the port is 1..65535. */
int sl_config_split_addr(const char *addr, char *host, size_t host_len, int *port);

#endif
