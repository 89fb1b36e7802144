/* sluicectl: operate a Sluice node through its admin endpoints. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: sluicectl [--endpoint URL] [--token T] COMMAND\n"
    "  status [--digest]          node status as JSON\n"
    "  health                     200 when the node knows a leader\n"
    "  metrics                    Prometheus metrics\n"
    "  snapshot                   take a snapshot now\n"
    "  add ID RAFT_ADDR API_ADDR  add a member (on the leader)\n"
    "  remove ID                  remove a member (on the leader)\n"
    "  transfer [ID]              transfer leadership (on the leader)\n"
    "  ping [PAYLOAD]             propose a replicated ping (on the leader)\n"
    "The endpoint defaults to $SLUICE_ENDPOINT or http://127.0.0.1:4566, the token\n"
    "to $SLUICE_ADMIN_TOKEN.\n";

static size_t write_out(char *p, size_t size, size_t n, void *data)
{
    (void)data;
    return fwrite(p, size, n, stdout);
}

static int call(const char *endpoint, const char *token, const char *method, const char *path,
                const char *body)
{
    char url[2048], auth[300];
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    long status = 0;
    if (c == NULL) {
        return 1;
    }
    snprintf(url, sizeof url, "%s%s", endpoint, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (token != NULL && token[0] != '\0') {
        snprintf(auth, sizeof auth, "x-sluice-admin-token: %s", token);
        h = curl_slist_append(h, auth);
    }
    if (body != NULL) {
        h = curl_slist_append(h, "content-type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        printf("\n");
    } else {
        fprintf(stderr, "sluicectl: %s: %s\n", url, curl_easy_strerror(rc));
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc == CURLE_OK && status >= 200 && status < 300 ? 0 : 1;
}

static int is_id(const char *s)
{
    return s != NULL && s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

int main(int argc, char **argv)
{
    const char *endpoint = getenv("SLUICE_ENDPOINT");
    const char *token = getenv("SLUICE_ADMIN_TOKEN");
    char body[1024];
    int i = 1;
    if (endpoint == NULL) {
        endpoint = "http://127.0.0.1:4566";
    }
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--endpoint") == 0) {
            endpoint = argv[i + 1];
        } else if (strcmp(argv[i], "--token") == 0) {
            token = argv[i + 1];
        } else {
            break;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[i];
    const char *a1 = i + 1 < argc ? argv[i + 1] : NULL;
    int rv = 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(cmd, "status") == 0) {
        int digest = a1 != NULL && strcmp(a1, "--digest") == 0;
        rv = call(endpoint, token, "GET", digest ? "/status?digest=1" : "/status", NULL);
    } else if (strcmp(cmd, "health") == 0) {
        rv = call(endpoint, token, "GET", "/health", NULL);
    } else if (strcmp(cmd, "metrics") == 0) {
        rv = call(endpoint, token, "GET", "/metrics", NULL);
    } else if (strcmp(cmd, "snapshot") == 0) {
        rv = call(endpoint, token, "POST", "/admin/snapshot", "");
    } else if (strcmp(cmd, "add") == 0 && i + 3 < argc && is_id(a1)) {
        snprintf(body, sizeof body, "{\"id\":%s,\"raft_addr\":\"%s\",\"api_addr\":\"%s\"}", a1,
                 argv[i + 2], argv[i + 3]);
        rv = call(endpoint, token, "POST", "/admin/members", body);
    } else if (strcmp(cmd, "remove") == 0 && is_id(a1)) {
        char path[64];
        snprintf(path, sizeof path, "/admin/members/%s", a1);
        rv = call(endpoint, token, "DELETE", path, NULL);
    } else if (strcmp(cmd, "transfer") == 0 && (a1 == NULL || is_id(a1))) {
        snprintf(body, sizeof body, a1 ? "{\"id\":%s}" : "{}", a1);
        rv = call(endpoint, token, "POST", "/admin/transfer", body);
    } else if (strcmp(cmd, "ping") == 0) {
        rv = call(endpoint, token, "POST", "/admin/ping", a1 ? a1 : "ping");
    } else {
        fputs(usage, stderr);
    }
    curl_global_cleanup();
    return rv;
}
