#include "src/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/err.h"
#include "src/log.h"

static const char usage[] =
    "usage: sluiced [--config FILE] [--id N] [--data-dir DIR] [--raft-addr HOST:PORT]\n"
    "               [--api-addr HOST:PORT] [--members ID=RAFT/API,...] [--join]\n"
    "               [--heartbeat-ms N] [--election-ms N] [--snapshot-threshold N]\n"
    "               [--snapshot-trailing N] [--snapshot-log-mb N] [--admin-token T]\n"
    "               [--tls-cert F --tls-key F]\n"
    "               [--credentials FILE | --auth none] [--cluster-secret S]\n"
    "               [--smtp-url smtp://HOST:PORT] [--smtp-from ADDRESS]\n"
    "               [--log-level error|warn|info|debug]\n";

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
        return SL_EINVAL;
    }
    *out = v;
    return SL_OK;
}

static int copy(char *dst, size_t cap, const char *src)
{
    if (strlen(src) >= cap) {
        return SL_EINVAL;
    }
    strcpy(dst, src);
    return SL_OK;
}

int sl_config_split_addr(const char *addr, char *host, size_t host_len, int *port)
{
    const char *colon = strrchr(addr, ':');
    uint64_t p;
    if (colon == NULL || colon == addr || (size_t)(colon - addr) >= host_len ||
        parse_u64(colon + 1, 1, 65535, &p) != SL_OK) {
        return SL_EINVAL;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    *port = (int)p;
    return SL_OK;
}

int sl_config_parse_members(struct sl_node_config *n, const char *s, char *err, size_t err_len)
{
    char buf[4096];
    char host[SL_ADDR_MAX];
    int port;
    if (copy(buf, sizeof buf, s) != SL_OK) {
        snprintf(err, err_len, "--members is too long");
        return SL_EINVAL;
    }
    n->n_members = 0;
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        char *slash = eq ? strchr(eq, '/') : NULL;
        if (n->n_members == SL_MAX_MEMBERS) {
            snprintf(err, err_len, "at most %d members", SL_MAX_MEMBERS);
            return SL_EINVAL;
        }
        struct sl_member *m = &n->members[n->n_members];
        if (eq == NULL || slash == NULL) {
            snprintf(err, err_len, "member '%s': want ID=RAFT_HOST:PORT/API_HOST:PORT", item);
            return SL_EINVAL;
        }
        *eq = *slash = '\0';
        if (parse_u64(item, 1, UINT32_MAX, &m->id) != SL_OK ||
            copy(m->raft_addr, sizeof m->raft_addr, eq + 1) != SL_OK ||
            copy(m->api_addr, sizeof m->api_addr, slash + 1) != SL_OK ||
            sl_config_split_addr(m->raft_addr, host, sizeof host, &port) != SL_OK ||
            sl_config_split_addr(m->api_addr, host, sizeof host, &port) != SL_OK) {
            snprintf(err, err_len, "member '%s': bad id or address", item);
            return SL_EINVAL;
        }
        for (unsigned i = 0; i < n->n_members; i++) {
            if (n->members[i].id == m->id) {
                snprintf(err, err_len, "member id %llu appears twice", (unsigned long long)m->id);
                return SL_EINVAL;
            }
        }
        n->n_members++;
    }
    return SL_OK;
}

static void defaults(struct sl_config *c)
{
    memset(c, 0, sizeof *c);
    sl_node_config_defaults(&c->node);
    sl_effector_config_defaults(&c->effector);
    c->node.id = 1;
    c->log_level = SL_LOG_INFO;
    strcpy(c->api_host, "127.0.0.1");
}

/* Applies one setting; value is NULL for boolean flags. */
static int apply(struct sl_config *c, const char *key, const char *value, char *err, size_t err_len)
{
    uint64_t v = 0;
    int rv = SL_OK;
#define NEED_VALUE                                                   \
    if (value == NULL) {                                             \
        snprintf(err, err_len, "--%s needs a value", key);           \
        return SL_EINVAL;                                            \
    }
    if (strcmp(key, "join") == 0) {
        c->node.join = true;
        return SL_OK;
    }
    NEED_VALUE
    if (strcmp(key, "id") == 0) {
        rv = parse_u64(value, 1, UINT32_MAX, &c->node.id);
    } else if (strcmp(key, "data-dir") == 0) {
        rv = copy(c->node.data_dir, sizeof c->node.data_dir, value);
    } else if (strcmp(key, "raft-addr") == 0) {
        char host[SL_ADDR_MAX];
        int port;
        rv = sl_config_split_addr(value, host, sizeof host, &port);
        rv = rv == SL_OK ? copy(c->node.raft_addr, sizeof c->node.raft_addr, value) : rv;
    } else if (strcmp(key, "api-addr") == 0) {
        rv = sl_config_split_addr(value, c->api_host, sizeof c->api_host, &c->api_port);
    } else if (strcmp(key, "members") == 0) {
        return sl_config_parse_members(&c->node, value, err, err_len);
    } else if (strcmp(key, "heartbeat-ms") == 0) {
        rv = parse_u64(value, 10, 60000, &v);
        c->node.heartbeat_ms = (unsigned)v;
    } else if (strcmp(key, "election-ms") == 0) {
        rv = parse_u64(value, 50, 600000, &v);
        c->node.election_ms = (unsigned)v;
    } else if (strcmp(key, "snapshot-threshold") == 0) {
        rv = parse_u64(value, 2, 100000000, &v);
        c->node.snapshot_threshold = (unsigned)v;
    } else if (strcmp(key, "snapshot-trailing") == 0) {
        rv = parse_u64(value, 0, 100000000, &v);
        c->node.snapshot_trailing = (unsigned)v;
    } else if (strcmp(key, "snapshot-log-mb") == 0) {
        rv = parse_u64(value, 1, 1u << 20, &v);
        c->node.snapshot_log_bytes = v << 20;
    } else if (strcmp(key, "admin-token") == 0) {
        rv = copy(c->admin_token, sizeof c->admin_token, value);
    } else if (strcmp(key, "credentials") == 0) {
        rv = copy(c->credentials, sizeof c->credentials, value);
    } else if (strcmp(key, "cluster-secret") == 0) {
        rv = copy(c->cluster_secret, sizeof c->cluster_secret, value);
    } else if (strcmp(key, "auth") == 0) {
        rv = strcmp(value, "none") == 0 || strcmp(value, "sigv4") == 0 ? SL_OK : SL_EINVAL;
        c->auth_none = strcmp(value, "none") == 0;
    } else if (strcmp(key, "tls-cert") == 0) {
        rv = copy(c->tls_cert, sizeof c->tls_cert, value);
    } else if (strcmp(key, "tls-key") == 0) {
        rv = copy(c->tls_key, sizeof c->tls_key, value);
    } else if (strcmp(key, "smtp-url") == 0) {
        rv = strncmp(value, "smtp://", 7) == 0 || strncmp(value, "smtps://", 8) == 0
                 ? copy(c->effector.smtp_url, sizeof c->effector.smtp_url, value)
                 : SL_EINVAL;
    } else if (strcmp(key, "smtp-from") == 0) {
        rv = strchr(value, '@') != NULL && strpbrk(value, "<>\r\n ") == NULL
                 ? copy(c->effector.smtp_from, sizeof c->effector.smtp_from, value)
                 : SL_EINVAL;
    } else if (strcmp(key, "log-level") == 0) {
        c->log_level = sl_log_level_parse(value);
        rv = c->log_level < 0 ? SL_EINVAL : SL_OK;
    } else {
        snprintf(err, err_len, "unknown setting '%s'", key);
        return SL_EINVAL;
    }
#undef NEED_VALUE
    if (rv != SL_OK) {
        snprintf(err, err_len, "bad value for %s: '%s'", key, value);
    }
    return rv;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) {
        *--e = '\0';
    }
    return s;
}

static int load_file(struct sl_config *c, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    unsigned lineno = 0;
    int rv = SL_OK;
    if (f == NULL) {
        snprintf(err, err_len, "config %s: %s", path, strerror(errno));
        return SL_EINVAL;
    }
    while (rv == SL_OK && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq != NULL) {
            *eq = '\0';
        }
        char msg[512];
        rv = apply(c, trim(s), eq ? trim(eq + 1) : NULL, msg, sizeof msg);
        if (rv != SL_OK) {
            snprintf(err, err_len, "%s:%u: %s", path, lineno, msg);
        }
    }
    fclose(f);
    return rv;
}

/* Fills what depends on the node id when not given. */
static int finish(struct sl_config *c, char *err, size_t err_len)
{
    const struct sl_member *self = NULL;
    for (unsigned i = 0; i < c->node.n_members; i++) {
        if (c->node.members[i].id == c->node.id) {
            self = &c->node.members[i];
        }
    }
    if (c->node.data_dir[0] == '\0') {
        snprintf(c->node.data_dir, sizeof c->node.data_dir, "data/node%llu",
                 (unsigned long long)c->node.id);
    }
    if (c->node.raft_addr[0] == '\0') {
        if (self != NULL) {
            strcpy(c->node.raft_addr, self->raft_addr);
        } else {
            snprintf(c->node.raft_addr, sizeof c->node.raft_addr, "127.0.0.1:%llu",
                     7000 + (unsigned long long)c->node.id);
        }
    }
    if (c->api_port == 0) {
        if (self != NULL) {
            sl_config_split_addr(self->api_addr, c->api_host, sizeof c->api_host, &c->api_port);
        } else {
            c->api_port = (int)(4565 + c->node.id);
        }
    }
    if (c->node.n_members == 0 && !c->node.join) {
        /* A single-node cluster of this node alone. */
        struct sl_member *m = &c->node.members[0];
        m->id = c->node.id;
        strcpy(m->raft_addr, c->node.raft_addr);
        snprintf(m->api_addr, sizeof m->api_addr, "%.100s:%d", c->api_host, c->api_port);
        c->node.n_members = 1;
    } else if (self == NULL && !c->node.join) {
        snprintf(err, err_len, "node %llu is not in --members (use --join for a new member)",
                 (unsigned long long)c->node.id);
        return SL_EINVAL;
    }
    if (c->node.heartbeat_ms * 2 > c->node.election_ms) {
        snprintf(err, err_len, "--election-ms must be at least twice --heartbeat-ms");
        return SL_EINVAL;
    }
    if (c->credentials[0] == '\0' && !c->auth_none) {
        snprintf(err, err_len, "give --credentials FILE, or --auth none (development only)");
        return SL_EINVAL;
    }
    if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
        snprintf(err, err_len, "--tls-cert and --tls-key go together");
        return SL_EINVAL;
    }
    return SL_OK;
}

int sl_config_parse(struct sl_config *c, int argc, char **argv, char *err, size_t err_len)
{
    defaults(c);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            snprintf(err, err_len, "%s", usage);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, err_len, "unexpected argument '%s'\n%s", arg, usage);
            return SL_EINVAL;
        }
        char key[64];
        const char *value = NULL;
        const char *eq = strchr(arg, '=');
        size_t klen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (klen >= sizeof key) {
            snprintf(err, err_len, "unknown flag '%s'", arg);
            return SL_EINVAL;
        }
        memcpy(key, arg + 2, klen);
        key[klen] = '\0';
        if (eq != NULL) {
            value = eq + 1;
        } else if (strcmp(key, "join") != 0 && i + 1 < argc) {
            value = argv[++i];
        }
        int rv = strcmp(key, "config") == 0
                     ? (value ? load_file(c, value, err, err_len) : SL_EINVAL)
                     : apply(c, key, value, err, err_len);
        if (rv != SL_OK) {
            if (value == NULL) {
                snprintf(err, err_len, "--%s needs a value", key);
            }
            return rv;
        }
    }
    return finish(c, err, err_len);
}
