#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "src/config.h"
#include "src/err.h"

static int parse(struct sl_config *c, char *err, const char *args)
{
    char buf[2048];
    char *argv[64] = {"sluiced", "--auth", "none"};
    int argc = 3;
    strcpy(buf, args);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
        argv[argc++] = t;
    }
    return sl_config_parse(c, argc, argv, err, 512);
}

static void test_defaults_single_node(void **state)
{
    (void)state;
    struct sl_config c;
    char err[512];
    assert_int_equal(parse(&c, err, "--id 2"), SL_OK);
    assert_string_equal(c.node.data_dir, "data/node2");
    assert_string_equal(c.node.raft_addr, "127.0.0.1:7002");
    assert_int_equal(c.api_port, 4567);
    assert_int_equal(c.node.n_members, 1);
    assert_int_equal(c.node.members[0].id, 2);
}

static void test_members_fill_addresses(void **state)
{
    (void)state;
    struct sl_config c;
    char err[512];
    assert_int_equal(parse(&c, err, "--id 3 --members 1=127.0.0.1:7001/127.0.0.1:4566,"
                                    "2=127.0.0.1:7002/127.0.0.1:4567,3=10.0.0.3:7003/0.0.0.0:9000"),
                     SL_OK);
    assert_int_equal(c.node.n_members, 3);
    assert_string_equal(c.node.raft_addr, "10.0.0.3:7003");
    assert_string_equal(c.api_host, "0.0.0.0");
    assert_int_equal(c.api_port, 9000);
}

static void test_bad_input_is_refused(void **state)
{
    (void)state;
    struct sl_config c;
    char err[512];
    assert_int_equal(parse(&c, err, "--id 0"), SL_EINVAL);
    assert_int_equal(parse(&c, err, "--id x"), SL_EINVAL);
    assert_int_equal(parse(&c, err, "--api-addr 127.0.0.1:99999"), SL_EINVAL);
    assert_int_equal(parse(&c, err, "--members 1=a:1/b:2,1=c:3/d:4"), SL_EINVAL);
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(parse(&c, err, "--id 4 --members 1=a:1/b:2"), SL_EINVAL);
    assert_non_null(strstr(err, "--join"));
    assert_int_equal(parse(&c, err, "--id 4 --join --members 1=a:1/b:2"), SL_OK);
    assert_int_equal(parse(&c, err, "--heartbeat-ms 600 --election-ms 1000"), SL_EINVAL);
    assert_int_equal(parse(&c, err, "--tls-cert x.pem"), SL_EINVAL);
    assert_int_equal(parse(&c, err, "--bogus 1"), SL_EINVAL);
    assert_int_equal(parse(&c, err, "--data-dir"), SL_EINVAL);
    assert_int_equal(parse(&c, err, "--help"), 1);
    assert_int_equal(parse(&c, err, "--auth maybe"), SL_EINVAL);
}

static void test_config_file_then_flags(void **state)
{
    (void)state;
    struct sl_config c;
    char err[512], path[] = "/tmp/sl-config-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# a comment\nid = 5\n\ndata-dir = /var/lib/sluice\nsnapshot-threshold=100\njoin\n");
    fclose(f);
    char args[256];
    snprintf(args, sizeof args, "--config %s --snapshot-threshold 200 --snapshot-log-mb 64", path);
    assert_int_equal(parse(&c, err, args), SL_OK);
    assert_int_equal(c.node.id, 5);
    assert_string_equal(c.node.data_dir, "/var/lib/sluice");
    assert_int_equal(c.node.snapshot_threshold, 200);
    assert_int_equal(c.node.snapshot_log_bytes, 64u << 20);
    assert_true(c.node.join);
    f = fopen(path, "w");
    fprintf(f, "id = 1\nnonsense = 3\n");
    fclose(f);
    snprintf(args, sizeof args, "--config %s", path);
    assert_int_equal(parse(&c, err, args), SL_EINVAL);
    assert_non_null(strstr(err, ":2:"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_single_node),
        cmocka_unit_test(test_members_fill_addresses),
        cmocka_unit_test(test_bad_input_is_refused),
        cmocka_unit_test(test_config_file_then_flags),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
